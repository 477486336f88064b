"""Getting news into the library: pages and feeds fetched over HTTP, saved as article files.

Only the user's own request reaches the network (`qa add URL`, `qa feed add/update`);
nothing here runs during a build or a question. A fetched page becomes a plain text file
with front matter in the library's articles folder, which the ordinary incremental build
then indexes: the web is one more way of dropping a file into the folder.
"""

DEFAULT_TIMEOUT = 20.0
"""Seconds a fetch waits, unless `--timeout` says: for the connection, for each read,
and for the whole body (a server trickling bytes is cut off too). Here, not in `fetch`,
so that `qa --help` can show it without loading urllib."""
