//! kalam-bench: KalamDB benchmarks (work in progress).
fn main() {}
