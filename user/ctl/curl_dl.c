// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include "curl_dl.h"

#define CURL_SONAME	"libcurl.so.4"

static struct curl_dl api;
static bool loaded, failed;

static void *sym(void *h, const char *name, bool *ok)
{
	void *p = dlsym(h, name);

	if (!p) {
		fprintf(stderr, "Couldn't find '%s' in '%s': %s\n", name, CURL_SONAME, dlerror());
		*ok = false;
	}
	return p;
}

const struct curl_dl *curl_dl(void)
{
	CURLcode (*global_init)(long flags);
	bool ok = true;
	void *h;

	if (loaded || failed)
		return loaded ? &api : NULL;
	h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "Couldn't load '%s': %s\n"
			"hint: install libcurl4 (Debian), or compare over control sockets\n",
			CURL_SONAME, dlerror());
		failed = true;
		return NULL;
	}
	*(void **)&api.easy_init = sym(h, "curl_easy_init", &ok);
	*(void **)&api.easy_setopt = sym(h, "curl_easy_setopt", &ok);
	*(void **)&api.easy_perform = sym(h, "curl_easy_perform", &ok);
	*(void **)&api.easy_getinfo = sym(h, "curl_easy_getinfo", &ok);
	*(void **)&api.easy_strerror = sym(h, "curl_easy_strerror", &ok);
	*(void **)&api.easy_cleanup = sym(h, "curl_easy_cleanup", &ok);
	*(void **)&api.global_cleanup = sym(h, "curl_global_cleanup", &ok);
	*(void **)&global_init = sym(h, "curl_global_init", &ok);
	if (!ok || global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		if (ok)
			fprintf(stderr, "Couldn't initialise '%s'\n", CURL_SONAME);
		dlclose(h);
		failed = true;
		return NULL;
	}
	loaded = true;
	return &api;
}

void curl_dl_done(void)
{
	if (loaded)
		api.global_cleanup();
}
