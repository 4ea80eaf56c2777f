//! User files and export: upload and download throughput through kalam-link for a small and a
//! large file, against copying the same file on this machine's disk (`disk_copy_*`, the
//! ceiling of a local storage), and the time of `EXPORT USER DATA` for a user with many rows
//! (start → job completed; the ZIP's download is not included).

use super::Ctx;
use crate::kalam::{client, exec, insert_rows};
use crate::report::ScenarioReport;
use crate::stats::Summary;
use kalam_link::{Auth, KalamClient};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MIB: f64 = 1024.0 * 1024.0;

/// `size` bytes that do not compress (a xorshift stream), in a file under `dir`.
fn payload(dir: &Path, size: u64) -> Result<PathBuf, String> {
    let path = dir.join(format!("payload-{size}.bin"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).map_err(|e| e.to_string())?);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ size;
    let mut left = size;
    while left > 0 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        let n = left.min(8) as usize;
        out.write_all(&bytes[..n]).map_err(|e| e.to_string())?;
        left -= n as u64;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(path)
}

fn label(size: u64) -> String {
    if size >= 1 << 20 {
        format!("{}mib", size >> 20)
    } else {
        format!("{}kib", size >> 10)
    }
}

/// Times `op` `warmup + iterations` times, one at a time; MiB/s of the mean in `params`.
async fn timed<F, Fut>(r: &mut ScenarioReport, ctx: &Ctx, size: u64, mut op: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let plan = ctx.plan.capped(ctx.sizes.heavy_iterations);
    let outcome = async {
        for _ in 0..plan.warmup {
            op().await?;
        }
        let began = Instant::now();
        let mut samples = Vec::new();
        for _ in 0..plan.iterations {
            let t = Instant::now();
            op().await?;
            samples.push(t.elapsed());
        }
        Summary::from_samples(&samples, 1, began.elapsed()).ok_or_else(|| "no samples".to_string())
    }
    .await;
    if let Ok(s) = &outcome {
        r.param("bytes", size);
        r.param(
            "mib_per_sec",
            ((size as f64 / MIB) / (s.mean_us / 1e6) * 10.0).round() / 10.0,
        );
    }
    r.set_result(outcome);
}

async fn user_client(ctx: &Ctx, suffix: &str) -> Result<KalamClient, String> {
    let name = ctx.user_name(suffix);
    exec(
        &ctx.root,
        &format!(
            "CREATE USER '{name}' WITH PASSWORD '{}' ROLE user",
            ctx.user_password
        ),
    )
    .await?;
    client(&ctx.url, Auth::basic(name, ctx.user_password.clone()))
}

pub async fn run(ctx: &Ctx) -> Vec<ScenarioReport> {
    let mut reports = Vec::new();
    let dir = match tempfile_dir() {
        Ok(d) => d,
        Err(e) => {
            let mut r = ScenarioReport::new("files", "user files");
            r.set_result(Err(e));
            return vec![r];
        }
    };
    let user = user_client(ctx, "files").await;
    for &size in &ctx.sizes.file_sizes {
        let l = label(size);
        let path = payload(&dir, size);
        let mut copy = ScenarioReport::new(
            &format!("disk_copy_{l}"),
            "copy the file on this machine's disk and fsync it (the ceiling of a local storage)",
        );
        let mut up = ScenarioReport::new(
            &format!("upload_{l}"),
            "POST /v1/files of one file streamed from disk (kalam-link upload_path), until the answer",
        );
        let mut down = ScenarioReport::new(
            &format!("download_{l}"),
            "GET /v1/files/{id} of that file, streamed and discarded (kalam-link download_file_to)",
        );
        match (&path, &user) {
            (Ok(path), Ok(user)) => {
                let target = dir.join("copy.bin");
                timed(&mut copy, ctx, size, || async {
                    std::fs::copy(path, &target).map_err(|e| e.to_string())?;
                    std::fs::File::open(&target)
                        .and_then(|f| f.sync_all())
                        .map_err(|e| e.to_string())
                })
                .await;
                let mut ids = Vec::new();
                timed(&mut up, ctx, size, || async {
                    let file = user
                        .upload_path(path, None, None)
                        .await
                        .map_err(|e| e.to_string())?;
                    if file.size != size {
                        return Err(format!("stored {} of {size} bytes", file.size));
                    }
                    Ok(())
                })
                .await;
                match user.list_files().await {
                    Ok(files) => ids.extend(files.into_iter().map(|f| f.id)),
                    Err(e) => down.set_result(Err(e.to_string())),
                }
                if let Some(id) = ids.first().cloned() {
                    timed(&mut down, ctx, size, || {
                        let id = id.clone();
                        async move {
                            let n = user
                                .download_file_to(&id, &mut std::io::sink(), &mut |_, _| {})
                                .await
                                .map_err(|e| e.to_string())?;
                            if n != size {
                                return Err(format!("read {n} of {size} bytes"));
                            }
                            Ok(())
                        }
                    })
                    .await;
                }
                for id in ids {
                    let _ = user.delete_file(&id).await;
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                for r in [&mut copy, &mut up, &mut down] {
                    r.set_result(Err(format!("setup: {e}")));
                }
            }
        }
        reports.extend([copy, up, down]);
    }
    reports.push(export(ctx).await);
    let _ = std::fs::remove_dir_all(&dir);
    reports
}

fn tempfile_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("kalam-bench-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// `EXPORT USER DATA` for a user with `export_rows` rows in one USER table.
async fn export(ctx: &Ctx) -> ScenarioReport {
    let rows = ctx.sizes.export_rows;
    let mut r = ScenarioReport::new(
        &format!("export_{}k", rows / 1000),
        "EXPORT USER DATA → job completed, for a user with that many rows in one USER table (Parquet + CSV into a ZIP)",
    );
    let outcome = async {
        let user = user_client(ctx, "export").await?;
        let table = ctx.table("exported");
        exec(
            &ctx.root,
            &format!("CREATE USER TABLE {table} (id BIGINT PRIMARY KEY, body TEXT, n INT)"),
        )
        .await?;
        insert_rows(&user, &table, "id, body, n", 0..rows, 1000, 2, |i| {
            format!("{i}, 'exported row {i} with some text', {}", i % 1000)
        })
        .await?;
        let runs = ctx.plan.capped(3).iterations;
        let began = Instant::now();
        let mut samples = Vec::new();
        let mut size = None;
        for _ in 0..runs {
            let t = Instant::now();
            let job = user.start_export(None).await.map_err(|e| e.to_string())?;
            let done = user
                .wait_for_export(&job, Duration::from_secs(1800))
                .await
                .map_err(|e| e.to_string())?;
            if done.status != "completed" {
                return Err(format!("export {job} {}: {:?}", done.status, done.message));
            }
            samples.push(t.elapsed());
            size = done.size;
        }
        if let Some(bytes) = size {
            r.param("zip_bytes", bytes);
        }
        r.param("rows", rows);
        Summary::from_samples(&samples, 1, began.elapsed()).ok_or_else(|| "no samples".to_string())
    }
    .await;
    r.set_result(outcome);
    r.notes.push(
        "includes the status polling interval of kalam-link's wait_for_export (200 ms)".into(),
    );
    r
}
