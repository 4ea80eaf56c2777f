//! Test support for `kalam-link`.
#![allow(dead_code)]

pub mod server;
