from django.utils import translation


def sulh(request):
    """What every console page needs: the charter's title, text direction, and the demo banner."""
    from sulh.charter.loader import get_charter
    from sulh.incidents.models import Incident

    charter = get_charter()
    lang = translation.get_language() or "en"
    return {
        "charter": charter,
        "charter_title": charter.title.get(lang, charter.title["en"]),
        "text_direction": "rtl" if translation.get_language_bidi() else "ltr",
        "demo_data_present": Incident.objects.filter(is_demo=True).exists(),
    }
