/* Fuzz target: the configuration parser (cfg_load) on arbitrary files. */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "cfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	struct cfg *c;
	char err[2048];

	if (fd == -1) {
		fd = memfd_create("fuzz.ini", 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		return 0;
	c = cfg_load(path, err, sizeof(err));
	if (c != NULL) {
		(void)cfg_str(c, "general", "name");
		(void)cfg_ms(c, "general", "heartbeat_interval");
		cfg_free(c);
	}
	return 0;
}
