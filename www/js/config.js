// Settings of this frontend that mirror the server's configuration: keep them equal to authcgi.conf.

// THUMBNAIL_MAX_BYTES of the server (API.md §8.7): pictures above it are refused before sending.
export const THUMBNAIL_MAX_BYTES = 2097152;
// The picture types the server accepts (it checks the content itself).
export const THUMBNAIL_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

// Where this frontend is installed: the directory above js/ (a path prefix on shared hosting).
export const SITE_ROOT = new URL('../', import.meta.url);

// A path of this site, written from the site's root: sitePath('/profile/') is '/profile/' at a
// domain's root and '/~ann/auth/profile/' under that prefix. Use it for every link, redirect and
// API call instead of a bare '/...'.
export function sitePath(path) {
	const url = new URL(String(path).replace(/^\/+/, ''), SITE_ROOT);
	return url.pathname + url.search + url.hash;
}
