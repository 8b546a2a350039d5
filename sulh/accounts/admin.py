"""The operator's admin site: accounts and organisations only, behind the second factor.

Incidents, claims and evidence are deliberately not registered: the operator manages who may sign in,
not what the parties said (see docs/architecture.md, "Who sees what").
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django_otp.admin import OTPAdminSite

from .models import ApiToken, Organisation, User

admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Sulh — accounts administration"


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "timezone")
    list_filter = ("kind",)
    readonly_fields = ("code", "kind")  # organisations come from the charter

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "organisation", "role", "command_level", "is_active")
    list_filter = ("organisation", "role", "command_level", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Mechanism", {"fields": ("organisation", "role", "command_level", "sector", "timezone", "language")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Mechanism", {"fields": ("organisation", "role", "command_level", "sector")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "name", "key_prefix", "key_hash", "created_at", "last_used_at")
    fields = ("user", "name", "key_prefix", "created_at", "last_used_at", "expires_at", "revoked_at")

    def has_add_permission(self, request):
        return False
