// A small persistent thread pool. The caller runs tasks too; workers spin briefly after a job
// (small GEMMs come back to back during training) and then sleep on a condition variable.
#include "kernels_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

enum { MAX_THREADS = 64, SPIN_ROUNDS = 20000 };

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit_lock = PTHREAD_MUTEX_INITIALIZER;

static int requested_threads = 1;
static int started_workers = 0;

// The current job. `generation` changes when a job is published; workers copy the job fields
// after seeing a new generation.
static _Atomic unsigned long generation = 0;
static funnel_task job_task;
static void *job_context;
static long job_count;
static _Atomic long job_next;
static _Atomic long job_done;
static _Atomic int job_workers;  // workers allowed to take tasks of this job
// Every started worker acknowledges every job, so none can lag behind into the next one.
static _Atomic int job_acknowledged;

static _Thread_local int inside_pool = 0;

// The generation current when each worker was created. A worker must start from this value, not
// from what it reads once running: the job that created it is published before the new thread
// gets to run, and a worker that skipped that job would never acknowledge it.
static unsigned long worker_start_generation[MAX_THREADS];

static void run_tasks(funnel_task task, void *context, long count) {
    for (;;) {
        long index = atomic_fetch_add_explicit(&job_next, 1, memory_order_relaxed);
        if (index >= count) break;
        task(context, index);
        atomic_fetch_add_explicit(&job_done, 1, memory_order_release);
    }
}

static void *worker_main(void *argument) {
    long worker_index = (long)argument;
    inside_pool = 1;
    unsigned long seen = worker_start_generation[worker_index];
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
        if (worker_index < atomic_load_explicit(&job_workers, memory_order_acquire)) {
            run_tasks(job_task, job_context, job_count);
        }
        atomic_fetch_add_explicit(&job_acknowledged, 1, memory_order_release);
    }
    return NULL;
}

void funnel_set_thread_count(int count) {
    if (count < 1) count = 1;
    if (count > MAX_THREADS) count = MAX_THREADS;
    pthread_mutex_lock(&submit_lock);
    requested_threads = count;
    pthread_mutex_unlock(&submit_lock);
}

int funnel_thread_count(void) {
    pthread_mutex_lock(&submit_lock);
    int count = requested_threads;
    pthread_mutex_unlock(&submit_lock);
    return count;
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
    int workers = requested_threads - 1;
    while (started_workers < workers) {
        pthread_t thread;
        worker_start_generation[started_workers] =
            atomic_load_explicit(&generation, memory_order_relaxed);
        if (pthread_create(&thread, NULL, worker_main, (void *)(long)started_workers) != 0) break;
        pthread_detach(thread);
        started_workers++;
    }
    if (workers > started_workers) workers = started_workers;
    job_task = task;
    job_context = context;
    job_count = task_count;
    atomic_store_explicit(&job_next, 0, memory_order_relaxed);
    atomic_store_explicit(&job_done, 0, memory_order_relaxed);
    atomic_store_explicit(&job_workers, workers, memory_order_relaxed);
    atomic_store_explicit(&job_acknowledged, 0, memory_order_relaxed);
    pthread_mutex_lock(&pool_lock);
    atomic_fetch_add_explicit(&generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_lock);

    inside_pool = 1;
    run_tasks(task, context, task_count);
    inside_pool = 0;
    while (atomic_load_explicit(&job_done, memory_order_acquire) < task_count ||
           atomic_load_explicit(&job_acknowledged, memory_order_acquire) < started_workers) {
#if FUNNEL_X86
        __builtin_ia32_pause();
#else
        sched_yield();
#endif
    }
    pthread_mutex_unlock(&submit_lock);
}
