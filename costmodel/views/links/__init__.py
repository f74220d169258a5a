"""URL codecs: a scenario to and from a share link's query string."""
