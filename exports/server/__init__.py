"""The feed server (`meetings serve`): `app` answers requests, `pages` lists the feeds, `serve` runs waitress."""
