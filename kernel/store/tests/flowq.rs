//! The flow queue: a written row's changes are queued for the taps that take them in the
//! same WriteBatch as the row, a refused command queues nothing and applies none of its
//! `commit_with`, and `commit_with` lands with the rows of a command that succeeds.

mod common;
use common::open;

use kalamdb_plugin_api::Value;
use kalamdb_store::feed::ChangeMeta;
use kalamdb_store::flowq::{EventKind, FlowTap, KindSet, event_key};
use kalamdb_store::keys::{CF_FLOW_EVENTS, CF_META, user_row_key, user_table_cf};
use kalamdb_store::{RawOp, RowMode, RowOp, TableWrite, WriterId};
use kalamdb_types::{ShardId, TableId, UserId};

fn op(user: &UserId, id: i64, mode: RowMode) -> RowOp {
    RowOp {
        key: user_row_key(user, &Value::Int(id)).unwrap_or_else(|e| panic!("{e}")),
        cells: vec![(0, Value::Int(id)), (1, Value::Text(format!("row {id}")))],
        mode,
        pk_display: id.to_string(),
        append_seq_to_key: false,
        prior: None,
    }
}

fn write(
    user: &UserId,
    ops: Vec<RowOp>,
    taps: Vec<FlowTap>,
    commit_with: Vec<RawOp>,
) -> TableWrite {
    let table = TableId::new("app", "t");
    TableWrite {
        cf: user_table_cf(ShardId(0), &table),
        table_label: "app.t".into(),
        pk_column: "id".into(),
        ops,
        meta: Some(ChangeMeta {
            table,
            user: Some(user.clone()),
        }),
        taps,
        commit_with,
    }
}

const ALL: KindSet = KindSet {
    insert: true,
    update: true,
    delete: true,
};

#[tokio::test]
async fn changes_are_queued_per_tap_with_their_rows_and_nothing_for_a_refused_command() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = open(dir.path());
    store
        .ensure_cf(&user_table_cf(ShardId(0), &TableId::new("app", "t")))
        .unwrap_or_else(|e| panic!("{e}"));
    let (alice, bob) = (UserId::new("alice"), UserId::new("bob"));
    let taps = vec![
        FlowTap {
            flow: 1,
            kinds: ALL,
            user: None,
        },
        FlowTap {
            flow: 2,
            kinds: KindSet {
                insert: false,
                update: true,
                delete: false,
            },
            user: None,
        },
        // A plain user's flow: only alice's partition.
        FlowTap {
            flow: 3,
            kinds: ALL,
            user: Some("alice".into()),
        },
    ];
    let marker = |n: u8| RawOp {
        cf: CF_META.into(),
        key: vec![b'x', n],
        value: Some(vec![n]),
    };
    let writer = WriterId::User(ShardId(0));
    let out = store
        .submit(
            writer,
            write(
                &alice,
                vec![
                    op(&alice, 1, RowMode::Insert),
                    op(&alice, 2, RowMode::Insert),
                ],
                taps.clone(),
                vec![marker(1)],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .submit(
            writer,
            write(
                &alice,
                vec![op(&alice, 1, RowMode::Update)],
                taps.clone(),
                Vec::new(),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .submit(
            writer,
            write(
                &bob,
                vec![op(&bob, 1, RowMode::Insert)],
                taps.clone(),
                Vec::new(),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // A duplicate key refuses the whole command: its new row, its changes and its marker.
    let refused = store
        .submit(
            writer,
            write(
                &alice,
                vec![
                    op(&alice, 3, RowMode::Insert),
                    op(&alice, 1, RowMode::Insert),
                ],
                taps.clone(),
                vec![marker(2)],
            ),
        )
        .await;
    assert!(refused.is_err());

    let flow1 = store
        .queued_flow_events(1, 100)
        .unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<(EventKind, Option<String>)> = flow1
        .iter()
        .map(|(_, e)| {
            let e = e.as_ref().unwrap_or_else(|e| panic!("{e}"));
            (e.kind, e.user.clone())
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::Insert, Some("alice".into())),
            (EventKind::Insert, Some("alice".into())),
            (EventKind::Update, Some("alice".into())),
            (EventKind::Insert, Some("bob".into())),
        ],
        "in commit order, none of the refused command"
    );
    let (key, first) = &flow1[0];
    let first = first.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(key, &event_key(1, out.written[0].seq));
    assert_eq!(first.new.as_ref(), Some(&out.written[0]));
    assert!(first.old.is_none());
    let update = flow1[2].1.as_ref().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        update.old.as_ref().map(|r| r.seq),
        Some(out.written[0].seq),
        "OLD is the replaced version"
    );
    assert_eq!(
        store
            .queued_flow_events(2, 100)
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        1
    );
    assert_eq!(
        store
            .queued_flow_events(3, 100)
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        3,
        "bob's row is not alice's flow's"
    );
    assert_eq!(
        store
            .queued_flow_events(1, 2)
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        2
    );
    let meta = store
        .scan_raw(CF_META, b"x")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        meta,
        vec![(vec![b'x', 1], vec![1])],
        "commit_with of the refused command is not applied"
    );

    // commit_with removing a queued change lands with the next command's rows.
    let done = RawOp {
        cf: CF_FLOW_EVENTS.into(),
        key: key.clone(),
        value: None,
    };
    store
        .submit(
            writer,
            write(
                &alice,
                vec![op(&alice, 9, RowMode::Insert)],
                Vec::new(),
                vec![done],
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        store
            .queued_flow_events(1, 100)
            .unwrap_or_else(|e| panic!("{e}"))
            .len(),
        3
    );
}
