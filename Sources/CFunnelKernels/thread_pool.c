// A small persistent thread pool. The caller runs tasks too; workers spin briefly after a job
// (small GEMMs come back to back during training) and then sleep on a condition variable.
//
// A worker takes part in a job only if it joins while the job is open; the caller closes the
// job once it runs out of tasks and then waits only for the workers that joined. A worker that
// is descheduled (another process on its core) or asleep therefore never holds up a job it did
// not join, and it cannot stray into a later job: joining checks the job's generation.
#include "kernels_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

// SPIN_ROUNDS pauses are about 9 ms on Zen 4: longer than a training step's serial stretches
// (batch gathering, row coalescing), so a worker is awake for the next job instead of paying
// a wake-up after each of them.
enum { MAX_THREADS = 64, SPIN_ROUNDS = 200000, WAIT_SPIN_ROUNDS = 4000 };

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;

// Read without the submit lock: a task running inside a job asks for it (nested GEMMs).
static _Atomic int requested_threads = 1;
static int started_workers = 0;

// The current job. `generation` changes when a job is published. The job fields are written
// before the job opens and read by a worker only after it has joined.
static _Atomic unsigned long generation = 0;
static funnel_task job_task;
static void *job_context;
static long job_count;
static int job_workers;  // workers allowed to take tasks of this job
static _Atomic long job_next;
static _Atomic long job_done;

// (generation << ENTRY_SHIFT) | CLOSED? | joined workers.
static _Atomic unsigned long job_entry;
static _Atomic long job_left;  // joined workers that have finished
#define ENTRY_SHIFT 16
#define ENTRY_CLOSED (1ul << 15)
#define ENTRY_JOINED 0x7FFFul

static _Thread_local int inside_pool = 0;

static void run_tasks(funnel_task task, void *context, long count) {
    for (;;) {
        long index = atomic_fetch_add_explicit(&job_next, 1, memory_order_relaxed);
        if (index >= count) break;
        task(context, index);
        atomic_fetch_add_explicit(&job_done, 1, memory_order_release);
    }
}

// Joins job `current` if it is still open.
static int join(unsigned long current) {
    unsigned long entry = atomic_load_explicit(&job_entry, memory_order_acquire);
    for (;;) {
        if ((entry >> ENTRY_SHIFT) != (current & (~0ul >> ENTRY_SHIFT)) || (entry & ENTRY_CLOSED))
            return 0;
        if (atomic_compare_exchange_weak_explicit(&job_entry, &entry, entry + 1,
                                                  memory_order_acq_rel, memory_order_acquire))
            return 1;
    }
}

static void *worker_main(void *argument) {
    long worker_index = (long)argument;
    inside_pool = 1;
    unsigned long seen = 0;
    for (;;) {
        unsigned long current = seen;
        for (int spin = 0; spin < SPIN_ROUNDS; spin++) {
            current = atomic_load_explicit(&generation, memory_order_acquire);
            if (current != seen) break;
#if FUNNEL_X86
            __builtin_ia32_pause();
#endif
        }
        if (current == seen) {
            pthread_mutex_lock(&pool_lock);
            while ((current = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
                pthread_cond_wait(&pool_wake, &pool_lock);
            }
            pthread_mutex_unlock(&pool_lock);
        }
        seen = current;
        if (!join(current)) continue;
        // Joined: the caller waits for this worker before it publishes another job.
        if (worker_index < job_workers) run_tasks(job_task, job_context, job_count);
        atomic_fetch_add_explicit(&job_left, 1, memory_order_release);
    }
    return NULL;
}

void funnel_set_thread_count(int count) {
    if (count < 1) count = 1;
    if (count > MAX_THREADS) count = MAX_THREADS;
    pthread_mutex_lock(&submit_lock);
    atomic_store_explicit(&requested_threads, count, memory_order_relaxed);
    pthread_mutex_unlock(&submit_lock);
}

int funnel_thread_count(void) {
    return atomic_load_explicit(&requested_threads, memory_order_relaxed);
}

long funnel_task_split(long units, long unit_work, long minimum_task_work) {
    long threads = funnel_task_count(units * unit_work, minimum_task_work);
    long tasks = threads * FUNNEL_TASKS_PER_THREAD;
    return threads > 1 ? (tasks < units ? tasks : units) : 1;
}

long funnel_task_count(long count, long grain) {
    if (grain < 1) grain = 1;
    long threads = funnel_thread_count();
    long tasks = count / grain;
    if (tasks > threads) tasks = threads;
    return tasks < 1 ? 1 : tasks;
}

void funnel_parallel_for(long task_count, funnel_task task, void *context) {
    if (task_count <= 0) return;
    if (task_count == 1 || inside_pool || funnel_thread_count() == 1) {
        for (long index = 0; index < task_count; index++) task(context, index);
        return;
    }
    pthread_mutex_lock(&submit_lock);
    int workers = atomic_load_explicit(&requested_threads, memory_order_relaxed) - 1;
    while (started_workers < workers) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (void *)(long)started_workers) != 0) break;
        pthread_detach(thread);
        started_workers++;
    }
    if (workers > started_workers) workers = started_workers;
    unsigned long next_generation = atomic_load_explicit(&generation, memory_order_relaxed) + 1;
    job_task = task;
    job_context = context;
    job_count = task_count;
    job_workers = workers;
    atomic_store_explicit(&job_next, 0, memory_order_relaxed);
    atomic_store_explicit(&job_done, 0, memory_order_relaxed);
    atomic_store_explicit(&job_left, 0, memory_order_relaxed);
    atomic_store_explicit(&job_entry, next_generation << ENTRY_SHIFT, memory_order_release);
    pthread_mutex_lock(&pool_lock);
    atomic_store_explicit(&generation, next_generation, memory_order_release);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_lock);

    inside_pool = 1;
    run_tasks(task, context, task_count);
    inside_pool = 0;
    // Close the job; only the workers that joined before this can still be running it.
    unsigned long entry =
        atomic_fetch_or_explicit(&job_entry, ENTRY_CLOSED, memory_order_acq_rel);
    long joined = (long)(entry & ENTRY_JOINED);
    // Spin briefly, then yield: when the machine runs more threads than it has cores, the
    // worker being waited for may need this very core, and spinning would keep it off.
    for (long spin = 0; atomic_load_explicit(&job_done, memory_order_acquire) < task_count ||
                        atomic_load_explicit(&job_left, memory_order_acquire) < joined;
         spin++) {
#if FUNNEL_X86
        if (spin < WAIT_SPIN_ROUNDS) {
            __builtin_ia32_pause();
            continue;
        }
#endif
        sched_yield();
    }
    pthread_mutex_unlock(&submit_lock);
}
