//! [`Workers`]: a small pool of threads that run background tasks (speculative compilation)
//! for a backend, behind the `TaskRunner` trait the runtime defines.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use lazuli_core::backend::TaskRunner;

type Task = Box<dyn FnOnce() + Send>;

/// A fixed pool of worker threads fed from one queue. Dropping it lets queued tasks finish
/// and joins the threads.
pub struct Workers {
    queue: Mutex<Option<Sender<Task>>>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// A pool of `count` threads; 0 makes a pool that runs nothing (speculation off).
    pub fn new(count: usize) -> Workers {
        let (send, receive) = channel::<Task>();
        let receive = Arc::new(Mutex::new(receive));
        let threads = (0..count)
            .filter_map(|i| {
                let receive = receive.clone();
                std::thread::Builder::new()
                    .name(format!("lazuli-worker-{i}"))
                    // Compiling large functions with LLVM can take deep stacks.
                    .stack_size(16 << 20)
                    .spawn(move || loop {
                        let task = receive.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match task {
                            Ok(task) => task(),
                            Err(_) => return,
                        }
                    })
                    .ok()
            })
            .collect();
        Workers {
            queue: Mutex::new(Some(send)),
            threads,
        }
    }

    /// The default size: one thread per available core but one (left to the program).
    pub fn default_count() -> usize {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_sub(1)
    }
}

impl TaskRunner for Workers {
    fn spawn(&self, task: Box<dyn FnOnce() + Send>) {
        if self.threads.is_empty() {
            return;
        }
        if let Some(queue) = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = queue.send(task);
        }
    }

    fn workers(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        let me = std::thread::current().id();
        for t in self.threads.drain(..) {
            // The last owner may be a task on one of the workers: that one ends by itself
            // once the queue is closed, and cannot join itself.
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("threads", &self.threads.len())
            .finish()
    }
}
