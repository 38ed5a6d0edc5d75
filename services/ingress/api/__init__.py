"""The ingress's HTTP API: one ``*_api.py`` module per resource, each declaring
``api = APIRouter(...)``, with the request and answer models and their examples."""
