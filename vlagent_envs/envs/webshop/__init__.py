"""WebShop: a reimplementation of princeton-nlp/WebShop (Yao et al., 2022), an online shop in which
an agent searches, opens products, picks options and buys the item an instruction asks for.

Modules: ``data`` (loading the official data files into ``Product`` records, building the goals
and their test/dev/train split as the original does), ``catalog`` (a seeded generator of a
catalog in the official raw schema, built at first use into the user cache), ``reward`` (the
original's purchase reward).
"""
