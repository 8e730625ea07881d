//! Real cgroups made by a test: the directories it made, removed when the guard drops.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cgroup directories made by a test, removed (deepest first) when dropped. Declared
/// before the workload, so the workload is dropped (killed and reaped) first and the
/// directories are empty by then.
pub struct Made(pub Vec<PathBuf>);

impl Drop for Made {
    fn drop(&mut self) {
        for d in self.0.iter().rev() {
            // The killed workload leaves its cgroup as it is reaped; give it a moment.
            let until = Instant::now() + Duration::from_secs(10);
            while std::fs::remove_dir(d).is_err() && d.exists() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
            if d.exists() {
                eprintln!("could not remove the test cgroup {}", d.display());
            }
        }
    }
}

/// Writes a cgroup file, the error naming the file and the text.
pub fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {text:?} to {}: {e}", path.display()))
}
