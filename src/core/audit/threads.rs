//! Work spread over threads the way every part of the audit spreads it: the first item on the
//! calling thread, each other on a thread of its own; an item whose thread the system will not
//! give (a pids limit, say), or whose thread panicked (never expected), is done on the calling
//! thread after the others: fewer threads, the same results, in the items' order.

/// Runs `work` on every item and answers the results in the items' order. `work` is told, by
/// the callback it is handed, how to report from the calling thread: `on_calling_thread` there,
/// a no-op elsewhere.
pub(crate) fn on_threads<I: Sync, T: Send>(
    name: &str,
    items: &[I],
    work: &(dyn Fn(&I, &mut dyn FnMut()) -> T + Sync),
    on_calling_thread: &mut dyn FnMut(),
) -> Vec<T> {
    let Some((first, rest)) = items.split_first() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let spawned: Vec<_> = rest
            .iter()
            .map(|item| {
                std::thread::Builder::new()
                    .name(name.to_owned())
                    .spawn_scoped(scope, move || work(item, &mut || {}))
                    .ok()
            })
            .collect();
        let mut done = Vec::with_capacity(items.len());
        done.push(work(first, on_calling_thread));
        for (item, handle) in rest.iter().zip(spawned) {
            done.push(match handle.map(|h| h.join()) {
                Some(Ok(result)) => result,
                _ => work(item, on_calling_thread),
            });
        }
        done
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_items_order_and_only_the_calling_thread_reports() {
        let mut reported = 0;
        let squares = on_threads(
            "test",
            &[1u64, 2, 3, 4],
            &|&n, report| {
                report();
                n * n
            },
            &mut || reported += 1,
        );
        assert_eq!(squares, vec![1, 4, 9, 16]);
        assert_eq!(reported, 1);
    }
}
