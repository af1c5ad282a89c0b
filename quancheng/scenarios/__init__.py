"""The scenario book: 渝卫发〔2019〕70号 written as executable scenarios.

One module per article, named ``test_article_NN.py`` (``NN`` the article's number, 08 to 27);
an article whose scenarios are kept by separate concerns may add ``test_article_NN_<topic>.py``.
Each test is one scenario, named after what it checks, with a one-line docstring in Chinese or
English that the traceability page prints. Every point of the article has a violation that must be
flagged and the nearest compliant case that must not, through the services, and at least one
end-to-end case per article through the API.

docs/traceability.md is generated from these modules (``manage.py traceability --write``): an
article counts as covered only when a passing scenario here exercises it.
"""
