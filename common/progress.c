/* Progress lines on a terminal (see ac/progress.h). */
#include "ac/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "ac/fs.h"
#include "ac/util.h"

struct ac_progress {
	char *what;
	int fd;
	uint64_t total;
	int threaded, stop, drawn;
	double last;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void draw(ac_progress *p, uint64_t done, int64_t total)
{
	char line[256];
	if (total > 0)
		snprintf(line, sizeof(line), "\r%s: %.1f / %.1f MB (%d%%)\033[K", p->what, done / 1e6, total / 1e6,
			 (int)(done * 100 / (uint64_t)total > 100 ? 100 : done * 100 / (uint64_t)total));
	else
		snprintf(line, sizeof(line), "\r%s: %.1f MB\033[K", p->what, done / 1e6);
	if (ac_write_all(2, line, strlen(line)) == 0)
		p->drawn = 1;
}

static void *follow(void *arg)
{
	ac_progress *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->stop)
			break;
		off_t pos = lseek(p->fd, 0, SEEK_CUR);
		if (pos >= 0)
			draw(p, (uint64_t)pos, (int64_t)p->total);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static ac_progress *make(const char *what, int quiet)
{
	if (quiet || !isatty(2))
		return NULL;
	ac_progress *p = xcalloc(1, sizeof(*p));
	p->what = xstrdup(what);
	p->fd = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

ac_progress *ac_progress_follow_fd(const char *what, int fd, uint64_t total, int quiet)
{
	ac_progress *p = make(what, quiet);
	if (!p)
		return NULL;
	p->fd = fd;
	p->total = total;
	if (pthread_create(&p->thread, NULL, follow, p) == 0)
		p->threaded = 1;
	return p;
}

ac_progress *ac_progress_new(const char *what, int quiet)
{
	return make(what, quiet);
}

void ac_progress_update(ac_progress *p, uint64_t done, int64_t total)
{
	if (!p)
		return;
	double t = now();
	if (t - p->last < 0.1)
		return;
	p->last = t;
	draw(p, done, total);
}

void ac_progress_end(ac_progress *p)
{
	if (!p)
		return;
	if (p->threaded) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
	}
	if (p->drawn)
		ac_write_all(2, "\r\033[K", 4);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->what);
	free(p);
}
