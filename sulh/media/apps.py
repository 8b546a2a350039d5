from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "sulh.media"
    label = "media"
    verbose_name = "Media monitoring"

    def ready(self):
        from sulh.ledger import records

        from .models import Article, Candidate, Decision, Feed

        def readable(user, obj) -> bool:
            org = obj.organisation_id if isinstance(obj, Article | Feed) else (
                obj.article.organisation_id if isinstance(obj, Candidate) else obj.candidate.article.organisation_id
            )
            return bool(getattr(user, "organisation_id", None)) and user.organisation_id == org

        # An article's entry commits to its metadata and the SHA-256 of its original bytes, not the bytes: the
        # row holds them and `sulh log verify --database` rechecks the hash against the row.
        records.register("media_article", Article, readable_by=readable, only=[
            "id", "code", "organisation_id", "source", "feed_id", "filename", "outlet", "url", "title",
            "published_on", "published_at", "language", "content_type", "sha256", "text_sha256",
            "received_by_id", "received_at",
        ])  # fmt: skip
        records.register("media_feed", Feed, readable_by=readable, bookkeeping=[
            "etag", "modified", "last_polled_at", "last_error",
        ])  # fmt: skip
        # A candidate is logged as extracted; its status and group are bookkeeping (the decision is its own entry).
        records.register("media_candidate", Candidate, readable_by=readable, only=["id", "article_id", "seq", "event"])
        records.register("media_decision", Decision, readable_by=readable)
