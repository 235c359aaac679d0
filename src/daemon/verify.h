/*
 * verify.h - `lockboxd verify --data DIR [--store URL]`: checks the audit log's hash chains and
 * signed checkpoints where the store keeps them.
 *
 * verify_main runs the command on its arguments (argv[0] is "verify") and answers the
 * process's exit code. It opens the store of the data folder (DIR/lockbox.db) or the
 * PostgreSQL database at URL, reads it without writing (a lockboxd may serve it meanwhile),
 * and verifies every chain with audit_chains_verify: each record's hash and link, each
 * checkpoint's place and signature under the store's keys, each chain's end. It prints what
 * it verified on stdout, or the first break on stderr. Exit codes, as in --help and
 * lockboxd(8):
 *   0  every chain is whole and every checkpoint holds
 *   1  failed: the store cannot be opened or read
 *   2  usage
 *   5  a chain or a checkpoint does not verify (the message names the first record)
 */
#ifndef LB_DAEMON_VERIFY_H
#define LB_DAEMON_VERIFY_H

#define VERIFY_EXIT_OK 0
#define VERIFY_EXIT_FAILED 1
#define VERIFY_EXIT_USAGE 2
#define VERIFY_EXIT_BROKEN 5

/* Runs `lockboxd verify` with argc arguments argv (argv[0] "verify"); the exit code. */
int verify_main(int argc, char **argv);

#endif
