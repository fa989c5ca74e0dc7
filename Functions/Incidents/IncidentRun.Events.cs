
namespace Cordon.Incidents;

internal sealed partial class IncidentRun
{
    Task announcedOpened = Task.CompletedTask;
    bool openedAnnounced;

    /// <summary>Announces "opened" once: at the start for incidents triaged by the activity, after containment otherwise.</summary>
    void AnnounceOpened()
    {
        if (!openedAnnounced)
        {
            openedAnnounced = true;
            announcedOpened = AnnounceAsync(LifecycleEvents.Opened, null, OpenedDetail);
        }
    }

    /// <summary>
    /// "opened" once the first containment is in. For an incident that announces its opening in one call
    /// (<see cref="IncidentInput.OpeningInOneCall"/>) the notice is returned, built now as before, to go out with
    /// "contained" (<see cref="AnnounceContained"/>); otherwise it is announced at once and null is returned.
    /// </summary>
    IncidentEventNotice? OpenedToSendWithContained()
    {
        if (!input.OpeningInOneCall || openedAnnounced)
        {
            AnnounceOpened();
            return null;
        }

        openedAnnounced = true;
        return Notice(LifecycleEvents.Opened, null, OpenedDetail);
    }

    /// <summary>
    /// Intake published "opened" and "contained" before writing the containment record this incident just read
    /// (<see cref="Containment.ContainmentRecord.AnnouncedAtIntake"/>): neither is announced again, and later events,
    /// which wait for "opened", go at once. One activity fewer on the way to the confirm gate.
    /// </summary>
    void OpeningAnnouncedAtIntake() => openedAnnounced = true;

    /// <summary>"contained", after "opened" — or with it, in one call, when <paramref name="opened"/> was held for it.</summary>
    Task AnnounceContained(IncidentEventNotice? opened, string detail)
    {
        IncidentEventNotice contained = Notice(LifecycleEvents.Contained, null, detail);
        if (opened is null)
        {
            return SendAfterOpenedAsync(contained);
        }

        // Later events wait for this call as they wait for "opened" alone.
        return announcedOpened = SendEventsAsync([opened, contained]);
    }

    /// <summary>
    /// Announces a lifecycle event (<see cref="PublishIncidentEvent"/>) with the incident as it is now.
    /// Later events wait for "opened" so subscribers get them in lifecycle order; a failed publish goes
    /// on the timeline and never holds up the response.
    /// </summary>
    Task AnnounceAsync(string lifecycleEvent, string? outcome, string detail)
    {
        IncidentEventNotice notice = Notice(lifecycleEvent, outcome, detail);
        return lifecycleEvent == LifecycleEvents.Opened ? SendEventAsync(notice) : SendAfterOpenedAsync(notice);
    }

    string OpenedDetail => OpeningNotices.OpenedDetail(input.Alert);

    IncidentEventNotice Notice(string lifecycleEvent, string? outcome, string detail) =>
        new(IncidentId, lifecycleEvent, status.Stage, outcome ?? status.Outcome, status.Severity,
            status.Subject, status.VendorId, status.SiteId, Now, detail, status.EvidenceHead);

    async Task SendAfterOpenedAsync(IncidentEventNotice notice)
    {
        await announcedOpened;
        await SendEventAsync(notice);
    }

    async Task SendEventAsync(IncidentEventNotice notice)
    {
        try
        {
            await CallAsync<string>(nameof(PublishIncidentEvent), notice);
        }
        catch (TaskFailedException ex)
        {
            RecordNotPublished(notice, ex);
        }
    }

    async Task SendEventsAsync(IReadOnlyList<IncidentEventNotice> notices)
    {
        try
        {
            await CallAsync<IReadOnlyList<string>>(nameof(PublishIncidentEvents), notices);
        }
        catch (TaskFailedException ex)
        {
            foreach (IncidentEventNotice notice in notices)
            {
                RecordNotPublished(notice, ex);
            }
        }
    }

    void RecordNotPublished(IncidentEventNotice notice, TaskFailedException ex) =>
        Record(TimelineSteps.EventNotPublished, $"{LifecycleEvents.TypePrefix}{notice.Event}: {ex.FailureDetails.ErrorMessage}");
}
