//! Prints what the BPF task iterator reads (first few records and the count), or why it
//! cannot load: `cargo run --example task_iter_dump`.
fn main() {
    match threadtop::collect::task_iter::TaskIter::load() {
        Ok(mut it) => {
            let mut recs = Vec::new();
            match it.read(&mut recs) {
                Ok(()) => {
                    println!("{} tasks", recs.len());
                    if std::env::args().any(|a| a == "--tids") {
                        for r in &recs {
                            println!("{} {}", r.tid, r.tgid);
                        }
                    } else {
                        for r in recs.iter().take(5).chain(recs.iter().rev().take(3)) {
                            println!("{r:?}");
                        }
                    }
                }
                Err(e) => println!("read failed: {e}"),
            }
        }
        Err(why) => println!("cannot load: {why}"),
    }
}
