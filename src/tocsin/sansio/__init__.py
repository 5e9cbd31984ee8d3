"""Flask's ``flask.sansio`` package: the parts of an app and a blueprint that do no I/O.

:mod:`tocsin.sansio.app` (:class:`~tocsin.sansio.app.App`),
:mod:`tocsin.sansio.blueprints` and :mod:`tocsin.sansio.scaffold` hold the
classes that :class:`tocsin.Tocsin`, :class:`tocsin.Blueprint` and both of
them derive from, so extensions that import them (or ``isinstance``-check
against them) through ``flask.sansio`` find Tocsin's.
"""
