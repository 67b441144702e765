/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libcurl, loaded when a command first needs it: xlbctl compare given a
 * URL. Linked in, libcurl and the 30 libraries it pulls (TLS, Kerberos,
 * LDAP, ...) cost every xlbctl call 8 ms of CPU at start on this VM, a
 * 'status' included; loaded here, only that one command pays. The Debian
 * package depends on libcurl all the same (xlbd's HTTP probes).
 */
#ifndef XLBCTL_CURL_DL_H
#define XLBCTL_CURL_DL_H

#include <curl/curl.h>

struct curl_dl {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	void (*easy_cleanup)(CURL *c);
	void (*global_cleanup)(void);
};

/* libcurl's functions, loaded and initialised on the first call; NULL after saying why. */
const struct curl_dl *curl_dl(void);
/* curl_global_cleanup, if libcurl was loaded. */
void curl_dl_done(void);

#endif /* XLBCTL_CURL_DL_H */
