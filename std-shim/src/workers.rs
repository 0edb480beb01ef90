//! [`Workers`]: a small pool of threads that run background tasks (speculative compilation)
//! for a backend, behind the `TaskRunner` trait the runtime defines.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::thread::JoinHandle;

use lazuli_core::backend::TaskRunner;

type Task = Box<dyn FnOnce() + Send>;

/// A count of tasks, and a signal whenever it drops, to wait for it to reach zero.
struct TaskCount {
    count: Mutex<usize>,
    dropped: Condvar,
}

impl TaskCount {
    const fn new() -> TaskCount {
        TaskCount {
            count: Mutex::new(0),
            dropped: Condvar::new(),
        }
    }

    fn add(&self) {
        *self.count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    }

    fn done(&self) {
        *self.count.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.dropped.notify_all();
    }

    fn wait_for_zero(&self) {
        let mut count = self.count.lock().unwrap_or_else(|p| p.into_inner());
        while *count > 0 {
            count = self.dropped.wait(count).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Counts a task as done when dropped, even if the task unwinds.
struct Done<'a>(&'a TaskCount);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.done();
    }
}

/// Tasks running on any pool's threads, for [`wait_at_exit`].
static RUNNING: TaskCount = TaskCount::new();
/// Set when the process exits: no task starts any more.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Registered with `atexit` when the first pool starts: a process that exits with an engine
/// still alive (a static, `std::process::exit`) waits for the running task, so that compiling
/// does not race the C++ runtime destroying LLVM's global state. A fallback only: LLVM statics
/// first used after this registration are destroyed before it runs. The sure way is dropping
/// the engine, which waits for its pool ([`TaskRunner::wait_idle`]).
extern "C" fn wait_at_exit() {
    EXITING.store(true, Ordering::SeqCst);
    RUNNING.wait_for_zero();
}

/// Run `task`, counted in [`RUNNING`]; nothing once the process is exiting. (Counted first
/// and checked after: the exit either sees the count or the task sees the exit.)
fn run_counted(task: Task) {
    RUNNING.add();
    let _done = Done(&RUNNING);
    if !EXITING.load(Ordering::SeqCst) {
        task();
    }
}

/// A fixed pool of worker threads fed from one queue. Dropping it lets queued tasks finish
/// and joins the threads; the process does not exit while a task runs.
pub struct Workers {
    queue: Mutex<Option<Sender<Task>>>,
    threads: Vec<JoinHandle<()>>,
    /// Tasks of this pool queued or running.
    pending: Arc<TaskCount>,
}

impl Workers {
    /// A pool of `count` threads; 0 makes a pool that runs nothing (speculation off).
    pub fn new(count: usize) -> Workers {
        static REGISTER: Once = Once::new();
        REGISTER.call_once(|| {
            // SAFETY: registers a function without arguments that only takes a lock and waits;
            // if registration fails, exits simply do not wait.
            unsafe { libc::atexit(wait_at_exit) };
        });
        let (send, receive) = channel::<Task>();
        let receive = Arc::new(Mutex::new(receive));
        let pending = Arc::new(TaskCount::new());
        let threads = (0..count)
            .filter_map(|i| {
                let receive = receive.clone();
                let pending = pending.clone();
                std::thread::Builder::new()
                    .name(format!("lazuli-worker-{i}"))
                    // Compiling large functions with LLVM can take deep stacks.
                    .stack_size(16 << 20)
                    .spawn(move || loop {
                        let task = receive.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        match task {
                            Ok(task) => {
                                let _done = Done(&pending);
                                run_counted(task);
                            }
                            Err(_) => return,
                        }
                    })
                    .ok()
            })
            .collect();
        Workers {
            queue: Mutex::new(Some(send)),
            threads,
            pending,
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
            self.pending.add();
            if queue.send(task).is_err() {
                self.pending.done();
            }
        }
    }

    fn workers(&self) -> usize {
        self.threads.len()
    }

    fn wait_idle(&self) {
        let me = std::thread::current().id();
        if self.threads.iter().any(|t| t.thread().id() == me) {
            return;
        }
        self.pending.wait_for_zero();
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
