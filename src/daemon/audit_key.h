/*
 * audit_key.h - `lockboxd audit-key rotate --data DIR [--store URL] [--key-file FILE]`: a new
 * key for signing the audit log's checkpoints, the old one retired.
 *
 * audit_key_main runs the command (argv[0] is "audit-key") and answers the process's exit
 * code. It makes a new Ed25519 key file in place of the old one (written whole under another
 * name, given the old file's owner and group, then renamed over it; the old secret is gone), keeps
 * the new public key in the store and marks the old one retired there, where it stays listed so
 * that what it signed still verifies. A lockboxd running on the folder signs with the old key until
 * it restarts. Exit codes: 0 rotated; 1 failed (nothing changed, or the new key made but not yet
 * kept: the message says which); 2 usage.
 */
#ifndef LB_DAEMON_AUDIT_KEY_H
#define LB_DAEMON_AUDIT_KEY_H

/* Runs `lockboxd audit-key` with argc arguments argv (argv[0] "audit-key"); the exit code. */
int audit_key_main(int argc, char **argv);

#endif
