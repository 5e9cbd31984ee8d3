from taskboard import create_app


def test_config():
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_index_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2F"
    page = client.get(response.headers["Location"]).text
    assert '<div class="flash info">Please log in to access this page.</div>' in page


def test_error_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<title>404 Not Found - Taskboard</title>" in response.text
    assert "<h1>404 Not Found</h1>" in response.text
    assert "The requested URL was not found on the server." in response.text
