/* Copyright 2026 the xenpv authors. MIT license.
 *
 * The e2e guest's console programs, built static on the host and put in the
 * PV guest's initramfs:
 *
 *   xpvguest flood <bytes>   writes "XPV-FLOOD-BEGIN\n", then <bytes> bytes
 *                            of 16-byte records "%015llx\n" (record number,
 *                            the last one cut short), then
 *                            "\nXPV-FLOOD-END\n", on a raw tty.
 *   xpvguest login           a login program in the XENCONS dialect, after
 *                            the Windows XENCONS tty helper's rules:
 *                            "\r\n<HOST> login: ", "Password: " unechoed,
 *                            its own echo, CR ends a line and the rest of
 *                            that read is lost, DEL erases, other control
 *                            characters echo as ^X, ^C at a prompt or a bad
 *                            logon or an empty user name restarts it
 *                            silently, a line reaching 1023 characters is
 *                            dropped; after logon /bin/sh -i runs on pipes
 *                            (its output with CRLF), ^C becomes SIGINT to
 *                            its process group (the Ctrl-Break of cmd).
 *                            The account is XPV_USER / XPV_PASSWORD from the
 *                            environment (defaults: xenpv / e2e-secret).
 *   xpvguest login --once    the same, but when the shell ends it prompts
 *                            once more (a logout sees the login prompt, as
 *                            from the service) and exits 1 s later, its tty
 *                            restored: a shell on the console can hand it
 *                            over to the login program and get it back after
 *                            logout.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define LINE_LIMIT 1023

static void put(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    s += w;
    n -= (size_t)w;
  }
}

static void puts_(const char *s) { put(s, strlen(s)); }

static struct termios saved;
static int have_saved;

static void raw_tty(void) {
  struct termios t;
  if (tcgetattr(0, &t) != 0) return;
  saved = t;
  have_saved = 1;
  cfmakeraw(&t);
  tcsetattr(0, TCSANOW, &t);
}

static void restore_tty(void) {
  if (have_saved) tcsetattr(0, TCSADRAIN, &saved);
}

static int flood(unsigned long long bytes) {
  static char buf[65536];
  raw_tty();
  puts_("XPV-FLOOD-" "BEGIN\n");
  unsigned long long sent = 0, record = 0;
  while (sent < bytes) {
    size_t fill = 0;
    while (fill + 16 <= sizeof buf && sent + fill < bytes) {
      snprintf(buf + fill, 17, "%015llx\n", record++);
      fill += 16;
    }
    if (sent + fill > bytes) fill = (size_t)(bytes - sent);
    put(buf, fill);
    sent += fill;
  }
  puts_("\nXPV-FLOOD-" "END\n");
  tcdrain(1);
  restore_tty();
  return 0;
}

/* The login program. */

static char host[64];
static const char *user_name, *user_password;
static int once;

enum stage { USER, PASSWORD, SHELL };

struct helper {
  enum stage stage;
  char line[LINE_LIMIT + 1];
  size_t len;
  char user[LINE_LIMIT + 1];
  pid_t shell;
  int to_shell, from_shell;
};

static void prompt(struct helper *h) {
  h->stage = USER;
  h->len = 0;
  puts_("\r\n");
  puts_(host);
  puts_(" login: ");
}

static void start_shell(struct helper *h) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) _exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    /* A session of its own, as the XENCONS service's shell has: no
       controlling terminal to fight over when this program was started from
       a shell on the console (`xpvguest login --once`), and its own process
       group for ^C. */
    setsid();
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(in[0]);
    close(in[1]);
    close(out[0]);
    close(out[1]);
    setenv("PS1", "$ ", 1);
    execl("/bin/sh", "sh", "-i", (char *)0);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  h->shell = pid;
  h->to_shell = in[1];
  h->from_shell = out[0];
  h->stage = SHELL;
}

static void stop_shell(struct helper *h) {
  if (h->shell <= 0) return;
  kill(-h->shell, SIGKILL);
  waitpid(h->shell, 0, 0);
  close(h->to_shell);
  close(h->from_shell);
  h->shell = 0;
}

/* A line ended with CR (cr = 1), ^C (cr = 0) or by filling the buffer (-1). */
static void end_line(struct helper *h, int cr) {
  h->line[h->len] = 0;
  puts_("\r\n");
  switch (h->stage) {
  case USER:
    if (cr != 1 || h->len == 0) return prompt(h);
    strcpy(h->user, h->line);
    h->stage = PASSWORD;
    h->len = 0;
    puts_("Password: ");
    return;
  case PASSWORD:
    h->len = 0;
    if (cr == 1 && strcasecmp(h->user, user_name) == 0 && strcmp(h->line, user_password) == 0) {
      memset(h->line, 0, sizeof h->line);
      return start_shell(h);
    }
    memset(h->line, 0, sizeof h->line);
    return prompt(h); /* the logon failed: the helper exits, a new one starts */
  case SHELL:
    if (cr == 0) {
      kill(-h->shell, SIGINT);
    } else if (cr == 1) {
      h->line[h->len++] = '\n';
      ssize_t ignored = write(h->to_shell, h->line, h->len);
      (void)ignored;
    }
    h->len = 0;
    return;
  }
}

/* One read from the console: what follows a line's end in it is lost. */
static void console_read(struct helper *h, const char *data, size_t n) {
  int echo = h->stage != PASSWORD;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c == 0x7f) {
      if (h->len > 0) {
        unsigned char removed = (unsigned char)h->line[--h->len];
        if (removed < 0x20) puts_("\b\b  \b\b");
        else if (echo) puts_("\b \b");
      }
    } else if (c == '\r' || c == 0x03) {
      end_line(h, c == '\r');
      return;
    } else if (c < 0x20) {
      char caret[2] = {'^', (char)(c + 0x40)};
      put(caret, 2);
      h->line[h->len++] = (char)c;
    } else {
      if (echo) put((const char *)&c, 1);
      h->line[h->len++] = (char)c;
    }
    if (h->len >= LINE_LIMIT) {
      h->len = 0;
      end_line(h, -1);
      return;
    }
  }
}

static int login(void) {
  struct helper h = {0};
  signal(SIGPIPE, SIG_IGN);
  raw_tty();
  puts_("\r\n[ATTACHED]\r\n");
  prompt(&h);
  char buf[4096];
  for (;;) {
    struct pollfd fds[2] = {{0, POLLIN, 0}, {h.stage == SHELL ? h.from_shell : -1, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[1].revents) {
      ssize_t n = read(h.from_shell, buf, sizeof buf);
      if (n <= 0) {
        stop_shell(&h); /* the shell ended: the helper exits, a new one starts */
        prompt(&h);
        if (once) {
          sleep(1);
          puts_("\r\n");
          restore_tty();
          return 0;
        }
      } else {
        char crlf[2 * sizeof buf];
        size_t m = 0;
        for (ssize_t i = 0; i < n; i++) {
          if (buf[i] == '\n') crlf[m++] = '\r';
          crlf[m++] = buf[i];
        }
        put(crlf, m);
      }
    }
    if (fds[0].revents) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) {
        stop_shell(&h);
        restore_tty();
        return 0;
      }
      console_read(&h, buf, (size_t)n);
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "flood") == 0) return flood(strtoull(argv[2], 0, 10));
  once = argc == 3 && strcmp(argv[1], "login") == 0 && strcmp(argv[2], "--once") == 0;
  if ((argc == 2 || once) && strcmp(argv[1], "login") == 0) {
    user_name = getenv("XPV_USER") ? getenv("XPV_USER") : "xenpv";
    user_password = getenv("XPV_PASSWORD") ? getenv("XPV_PASSWORD") : "e2e-secret";
    gethostname(host, sizeof host - 1);
    for (char *p = host; *p; p++) *p = (char)toupper((unsigned char)*p);
    return login();
  }
  fprintf(stderr, "usage: xpvguest flood <bytes> | xpvguest login [--once]\n");
  return 2;
}
