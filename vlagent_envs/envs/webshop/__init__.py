"""WebShop: a reimplementation of princeton-nlp/WebShop (Yao et al., 2022), an online shop in which
an agent searches, opens products, picks options and buys the item an instruction asks for.

Modules: ``data`` (loading the official data files into ``Product`` records, building the goals
and their test/dev/train split as the original does), ``catalog`` (a seeded generator of a
catalog in the official raw schema, built at first use into the user cache), ``reward`` (the
original's purchase reward), ``search`` (BM25 over the products, index cached on disk),
``pages`` (the pages as data and their HTML / ``text`` / ``text_rich`` renderings), ``shop``
(the catalog, goals and search, and the shopping sessions), ``server`` (the Flask site and its
JSON API, loopback only), ``sharing`` (the server and browsers shared by a process's envs),
``browser`` (headless Chromium screenshots) and ``env``
(``VLAgent/WebShop-v0`` and ``VLAgent/WebShop-Screenshot-v0``).
"""
