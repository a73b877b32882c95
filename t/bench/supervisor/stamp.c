/*
 * stamp: the trivial program the supervisor benchmark supervises.  As soon
 * as it runs it appends "<CLOCK_REALTIME in ns> <pid>" to ./stamps, then
 * sleeps until it is killed.  Arguments are ignored (s6-supervise passes
 * the service directory's name, runsv nothing).
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int
main(void)
{
	struct timespec ts;
	char buf[64];
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(buf, sizeof(buf), "%lld %d\n",
	    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, (int)getpid());
	fd = open("stamps", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, (size_t)n) != n)
		return 111;
	close(fd);
	for (;;)
		pause();
}
