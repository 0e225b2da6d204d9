/* Fetching an image by appc name: discovery, download of the ACI (and of
 * its signature when published), and the checks of appc spec 4.6 (the
 * image's name equals the requested name, every requested label matches).
 * Used by acbuild begin NAME and acrun fetch NAME. */
#ifndef AC_FETCH_H
#define AC_FETCH_H

#include <stdint.h>
#include <jansson.h>
#include "ac/digest.h"
#include "ac/discovery.h"

struct ac_fetch_opts {
	/* also for the downloads: insecure flags, CA file, and the credentials
	 * (disc.auth; NULL: the default auth.d config, read once per call)
	 * sent to the https:// ACI and signature URLs of a configured host */
	struct ac_discovery_opts disc;
	uint64_t max_size;    /* refuse larger downloads; 0: 8 GiB */
	int need_signature;   /* fail when no .aci.asc can be downloaded */
	/* optional progress report: bytes so far and the total (-1 unknown) */
	void (*progress)(void *arg, const char *what, uint64_t done, int64_t total);
	void *progress_arg;
};

struct ac_fetched {
	char *aci_path;  /* the downloaded image, in the directory given */
	char *asc_path;  /* its signature, or NULL when none was published */
	char *aci_url;
	char image_id[AC_IMAGE_ID_LEN + 1];
	json_t *manifest;
};
void ac_fetched_free(struct ac_fetched *f);

/* Discovers and downloads the image named by the app string s into dir
 * (files named by a temporary name there, removed on failure).  The image
 * is validated (ac_aci_validate) and its name and labels checked. */
int ac_fetch_by_name(const char *s, const char *dir, const struct ac_fetch_opts *o, struct ac_fetched *out,
		     ac_error **err);

/* Checks a fetched image's manifest against the request: rkt's messages
 * ("error when reading the app name: "X" expected but "Y" found", ...). */
int ac_fetch_check_manifest(json_t *manifest, const struct ac_app *requested, ac_error **err);

/* Downloads url into path (atomic; at most max bytes). */
int ac_fetch_url(const char *url, const char *path, const struct ac_http_opts *ho, uint64_t max,
		 const struct ac_fetch_opts *o, ac_error **err);

#endif
