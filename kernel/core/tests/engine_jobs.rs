//! The engine without a front end: `system.jobs` records are pruned, so repeated flushes cannot
//! grow it without bound.

mod common;
use common::{app_engine, run};
use kalamdb_types::TableId;

#[tokio::test]
async fn finished_job_records_are_pruned_by_count_and_age() {
    let (_dir, engine, mut s) =
        app_engine("CREATE SHARED TABLE app.t (id INT PRIMARY KEY)", None).await;
    let table = TableId::new("app", "t");
    for i in 0..5 {
        run(&engine, &mut s, &format!("INSERT INTO app.t VALUES ({i})")).await;
        let (job, _) = engine
            .jobs
            .start_flush(table.clone())
            .await
            .expect("flush job");
        for _ in 0..200 {
            let done = engine
                .jobs
                .records()
                .expect("jobs")
                .iter()
                .any(|j| j.job_id == job && !j.status.is_active());
            if done {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    assert_eq!(engine.jobs.records().expect("jobs").len(), 5);
    // By count: the two newest stay.
    assert_eq!(engine.jobs.prune(0, 2).await.ok(), Some(3));
    assert_eq!(engine.jobs.records().expect("jobs").len(), 2);
    // By age: everything finished before now goes.
    let now = chrono::Utc::now().timestamp_micros() + 1;
    assert_eq!(engine.jobs.prune(now, 100).await.ok(), Some(2));
    assert!(engine.jobs.records().expect("jobs").is_empty());
    engine.shutdown();
}
