/*
 * client_int.h - what the files of liblockbox share and its users never see: the handle and
 * the reading of a refusal. The contract is include/lockbox/lockbox.h; these follow it (errors
 * are LOCKBOX_E* codes, strings handed out are free(3)'s).
 */
#ifndef LB_CLIENT_CLIENT_INT_H
#define LB_CLIENT_CLIENT_INT_H

#include "lockbox/lockbox.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>

struct lockbox {
    pthread_mutex_t lock; /* held for a whole call: calls on one handle are serialised */
    CURL *curl;
    char *url; /* without a trailing slash */
    char *token;
    char *ca_file;
    bool insecure;
    long connect_timeout_ms, timeout_ms;
    char curl_error[CURL_ERROR_SIZE]; /* libcurl's words for the last failure (ERRORBUFFER) */
};

/* Why the last exchange on lb failed: libcurl's own detail ("SSL certificate problem: ..."),
 * else the name of cc. Borrowed from lb (or static). */
const char *client_curl_error(struct lockbox *lb, CURLcode cc);

/* Fills reply (when not NULL) from a problem+json body: LOCKBOX_EREFUSED, or
 * LOCKBOX_EPROTOCOL for a body that is no problem, or LOCKBOX_ENOMEM. */
int client_take_problem(struct lockbox_reply *reply, const char *body);

#endif
