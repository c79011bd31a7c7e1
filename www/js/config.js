// Settings of this frontend that mirror the server's configuration: keep them equal to authcgi.conf.

// THUMBNAIL_MAX_BYTES of the server (API.md §8.7): pictures above it are refused before sending.
export const THUMBNAIL_MAX_BYTES = 2097152;
// The picture types the server accepts (it checks the content itself).
export const THUMBNAIL_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
