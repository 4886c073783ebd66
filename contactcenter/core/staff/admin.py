from django.contrib import admin

from contactcenter.core.staff.models import AgentProfile, AgentSkill, BusinessHours, BusinessHoursException, Skill, Team


class AgentSkillInline(admin.TabularInline[AgentSkill, AgentProfile]):
    model = AgentSkill
    extra = 0


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin[AgentProfile]):
    list_display = ["display_name", "user", "role", "status", "max_concurrent_chats"]
    list_filter = ["role", "status", "teams"]
    search_fields = ["display_name", "user__username", "user__email"]
    filter_horizontal = ["teams"]
    inlines = [AgentSkillInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "slug", "business_hours"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class BusinessHoursExceptionInline(admin.TabularInline[BusinessHoursException, BusinessHours]):
    """Holidays (closed all day) and make-up working days (open with their own hours)."""

    model = BusinessHoursException
    extra = 1
    fields = ["date", "name", "is_open", "spans"]


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin[BusinessHours]):
    list_display = ["name", "timezone"]
    inlines = [BusinessHoursExceptionInline]
