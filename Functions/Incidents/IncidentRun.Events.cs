
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
            announcedOpened = AnnounceAsync(LifecycleEvents.Opened, null, $"alert {input.Alert.AlertId} from {input.Alert.Source}");
        }
    }

    /// <summary>
    /// Announces a lifecycle event (<see cref="PublishIncidentEvent"/>) with the incident as it is now.
    /// Later events wait for "opened" so subscribers get them in lifecycle order; a failed publish goes
    /// on the timeline and never holds up the response.
    /// </summary>
    Task AnnounceAsync(string lifecycleEvent, string? outcome, string detail)
    {
        var notice = new IncidentEventNotice(IncidentId, lifecycleEvent, status.Stage, outcome ?? status.Outcome, status.Severity,
            status.Subject, status.VendorId, status.SiteId, Now, detail, status.EvidenceHead);
        return lifecycleEvent == LifecycleEvents.Opened ? SendEventAsync(notice) : SendAfterOpenedAsync(notice);
    }

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
            Record(TimelineSteps.EventNotPublished, $"{LifecycleEvents.TypePrefix}{notice.Event}: {ex.FailureDetails.ErrorMessage}");
        }
    }
}
