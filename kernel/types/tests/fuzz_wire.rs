//! Property tests over what clients send (the stable-toolchain stand-in for cargo-fuzz
//! targets): the SQL request body and WebSocket messages decode to a value or an error for any
//! input, and every valid message survives a round trip.

use kalamdb_types::wire::SqlRequest;
use kalamdb_types::ws::ClientMessage;
use proptest::prelude::*;

/// JSON-shaped text: random objects with the keys the decoders look for.
fn json_soup() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("{"),
        Just("}"),
        Just("["),
        Just("]"),
        Just(","),
        Just(":"),
        Just("\"sql\""),
        Just("\"params\""),
        Just("\"type\""),
        Just("\"subscribe\""),
        Just("\"subscription\""),
        Just("\"id\""),
        Just("\"options\""),
        Just("\"from_seq_id\""),
        Just("\"batch_size\""),
        Just("\"authenticate\""),
        Just("\"token\""),
        Just("\"next_batch\""),
        Just("null"),
        Just("1e999"),
        Just("-1"),
        Just("18446744073709551616"),
        Just("\"\\u0000\""),
        Just("true"),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

/// `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(3000), ..ProptestConfig::default() })]

    #[test]
    fn request_bodies_never_panic(body in json_soup(), raw in any::<Vec<u8>>()) {
        let _ = serde_json::from_str::<SqlRequest>(&body);
        let _ = serde_json::from_slice::<SqlRequest>(&raw);
    }

    #[test]
    fn websocket_messages_never_panic(body in json_soup(), raw in any::<Vec<u8>>()) {
        if let Ok(message) = serde_json::from_str::<ClientMessage>(&body) {
            let text = serde_json::to_string(&message).expect("encode");
            let back: ClientMessage = serde_json::from_str(&text).expect("decode again");
            prop_assert_eq!(back, message);
        }
        let _ = serde_json::from_slice::<ClientMessage>(&raw);
    }
}
