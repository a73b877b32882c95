/*
 * fgrun: run a command in its own process group, in the terminal's
 * foreground, and give the terminal back when it ends.
 *
 *	fgrun COMMAND [ARG...]
 *
 * For make demo: ^C then reaches the suite's supervisor (which stops
 * everything and exits 0) and not make, which would otherwise die of the
 * SIGINT itself and report the interrupt.  fgrun exits with the command's
 * status.  Without a controlling terminal it simply runs the command.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pid_t child;

static void
forward(int sig)
{
	if (child > 0)
		kill(-child, sig);
}

int
main(int argc, char **argv)
{
	pid_t pid, fg = -1;
	int tty, status;

	if (argc < 2) {
		fprintf(stderr, "usage: fgrun command [arg ...]\n");
		return 100;
	}
	signal(SIGTTOU, SIG_IGN);	/* to hand the terminal over and back */
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (tty != -1)
		fg = tcgetpgrp(tty);
	if ((pid = fork()) == -1) {
		perror("fgrun: fork");
		return 111;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (tty != -1 && fg == getpgid(getppid()))
			tcsetpgrp(tty, getpgrp());
		signal(SIGTTOU, SIG_DFL);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "fgrun: %s: exec failed\n", argv[1]);
		_exit(111);
	}
	setpgid(pid, pid);	/* whichever of us runs first */
	if (tty != -1 && fg == getpgrp())
		tcsetpgrp(tty, pid);
	/* A signal for us (no terminal: kill -INT PID) goes on to the
	 * command's group. */
	child = pid;
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("fgrun: waitpid");
			return 111;
		}
	if (tty != -1 && fg != -1)
		tcsetpgrp(tty, fg);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
