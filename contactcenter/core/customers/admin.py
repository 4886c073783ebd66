from django.contrib import admin

from contactcenter.core.customers.models import Customer, CustomerIdentity


class IdentityInline(admin.TabularInline[CustomerIdentity, Customer]):
    model = CustomerIdentity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ["id", "name", "email", "phone", "created_at"]
    search_fields = ["name", "email", "phone", "identities__value"]
    inlines = [IdentityInline]
