using Cordon.Configuration;
using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Roster;

/// <summary>How one site's sync ended. Completed: the delta link is stored; otherwise the stored next link resumes it.</summary>
public sealed record RosterSyncResult(string SiteId, string GroupId, int Pages, int Added, int Removed, bool Completed,
    TimeSpan? RetryAfter = null, bool Skipped = false);

/// <summary>
/// Reads each site's directory group into the roster with a delta query. Every page is applied and then its
/// link stored, so a run that stops anywhere (throttled, crashed, the page limit) resumes at the page it had
/// reached; a finished sync stores the delta link and the next run reads only the changes. A throttled page is
/// not waited out here: the checkpoint records how long the directory asked to wait, and a later run resumes
/// after it. A new group (or an expired link) starts a full read; members it does not see are swept at its end, and
/// only once its last page has handed over the delta link: until then (a re-read under way, throttled, cut short or
/// failed) the roster keeps every member of the last finished sync, plus those the re-read has seen. A last page with
/// neither link, or "expired" answered to a read that had no link, is a failure: nothing of it is applied, the sync
/// waits <see cref="RosterOptions.SyncInterval"/> (the checkpoint's NotBefore) and the error is thrown to the caller.
/// </summary>
public sealed class RosterSync(IGroupMembersDelta directory, IRosterStore store, LiveConfiguration configuration,
    IOptions<RosterOptions> options, TimeProvider time, ILogger<RosterSync> logger)
{
    /// <summary>The longest a throttled sync waits before it tries again, whatever the directory asked.</summary>
    public static readonly TimeSpan MaxThrottleWait = TimeSpan.FromMinutes(15);

    /// <summary>Syncs every site that names a directory group whose interval has passed (or whose sync is under way).</summary>
    public async Task<IReadOnlyList<RosterSyncResult>> SyncDueAsync(CancellationToken cancellationToken)
    {
        var results = new List<RosterSyncResult>();
        foreach (Site site in configuration.Current.World.Vendors.SelectMany(v => v.Sites).Where(s => s.DirectoryGroupId is not null))
        {
            try
            {
                results.Add(await SyncSiteAsync(site.Id, site.DirectoryGroupId!, force: false, cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One site's failure (the directory down, a bad group) does not stop the others; its place is kept.
                logger.LogWarning(ex, "Roster sync of site {SiteId} (group {GroupId}) failed; the next run resumes where it stopped", site.Id, site.DirectoryGroupId);
            }
        }

        return results;
    }

    /// <summary>Syncs one site now (unless the directory asked to wait): pages until the delta link, or until throttled or the page limit.</summary>
    public async Task<RosterSyncResult> SyncSiteAsync(string siteId, string groupId, bool force, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        RosterCheckpoint? saved = await store.GetCheckpointAsync(siteId, cancellationToken);
        RosterCheckpoint checkpoint = saved is not null && saved.GroupId == groupId
            ? saved
            : new RosterCheckpoint(siteId, groupId, null, null, (saved?.Generation ?? 0) + 1, FullSync: true, CompletedAt: null);
        bool underWay = checkpoint.NextLink is not null || checkpoint.CompletedAt is null || checkpoint.FullSync;
        if (checkpoint.NotBefore > now
            || (!force && !underWay && checkpoint.CompletedAt + options.Value.SyncInterval > now))
        {
            return new RosterSyncResult(siteId, groupId, 0, 0, 0, Completed: !underWay, checkpoint.NotBefore > now ? checkpoint.NotBefore - now : null, Skipped: true);
        }

        int pages = 0, added = 0, removed = 0;
        string? link = checkpoint.NextLink ?? checkpoint.DeltaLink;
        while (pages < options.Value.MaxPagesPerRun)
        {
            GroupMembersPage page;
            try
            {
                page = await directory.ReadAsync(groupId, link, cancellationToken);
            }
            catch (DirectoryThrottledException ex)
            {
                // Keep the place (the link of the page not read) and the directory's wait, at most MaxThrottleWait (found by an
                // attack: one answer asking for ten years stopped the site's sync for good, and new hires stayed off the roster).
                TimeSpan wait = ex.RetryAfter is { } asked ? (asked > MaxThrottleWait ? MaxThrottleWait : asked) : TimeSpan.FromSeconds(30);
                await store.SaveCheckpointAsync(checkpoint with { NextLink = link ?? checkpoint.NextLink, NotBefore = time.GetUtcNow() + wait }, cancellationToken);
                logger.LogWarning("Roster sync of site {SiteId} throttled after {Pages} pages; resumes in {Wait}", siteId, pages, wait);
                return new RosterSyncResult(siteId, groupId, pages, added, removed, Completed: false, wait);
            }
            catch (DeltaLinkExpiredException ex) when (link is null)
            {
                // "Expired" to the first read of a full one: there is no link to drop, and starting again would ask the same
                // (found by an attack: 10,001 reads in one call). A failure, reported and backed off like a malformed page.
                throw await FailAsync(checkpoint, $"group {groupId}: the directory answered \"expired\" to a full read, which carries no link", ex, cancellationToken);
            }
            catch (DeltaLinkExpiredException ex)
            {
                logger.LogWarning(ex, "Roster sync of site {SiteId}: the directory no longer knows its link; reading the group in full", siteId);
                // Stored at once: the re-read is under way (FullSync with a CompletedAt) until its last page hands over a
                // delta link; the members of the last finished sync stay on the roster until then.
                checkpoint = checkpoint with { NextLink = null, DeltaLink = null, Generation = checkpoint.Generation + 1, FullSync = true, NotBefore = null };
                await store.SaveCheckpointAsync(checkpoint, cancellationToken);
                link = null;
                continue;
            }

            if (page.NextLink is null && page.DeltaLink is null)
            {
                // Checked before anything of the page is applied, above all before a full read sweeps: a last page with no
                // delta link (an empty body reads as one) is not the end of the group (found by an attack: the sweep ran
                // first, removed every member, and offboarding then stored an empty account list for a compromised site).
                throw await FailAsync(checkpoint, $"group {groupId}: the directory's page carries neither a next link nor a delta link", null, cancellationToken);
            }

            pages++;
            await store.UpsertAsync(siteId, page.Added, checkpoint.Generation, cancellationToken);
            await store.RemoveAsync(siteId, page.Removed, cancellationToken);
            added += page.Added.Count;
            removed += page.Removed.Count;
            if (page.NextLink is not null)
            {
                link = page.NextLink;
                checkpoint = checkpoint with { NextLink = link, NotBefore = null };
                await store.SaveCheckpointAsync(checkpoint, cancellationToken);
                continue;
            }

            if (checkpoint.FullSync)
            {
                removed += await store.RemoveUnseenAsync(siteId, checkpoint.Generation, cancellationToken);
            }

            checkpoint = checkpoint with
            {
                NextLink = null,
                DeltaLink = page.DeltaLink,
                FullSync = false,
                CompletedAt = time.GetUtcNow(),
                NotBefore = null,
                Members = (await store.ListAsync(siteId, cancellationToken)).Count,
            };
            await store.SaveCheckpointAsync(checkpoint, cancellationToken);
            if (checkpoint.Members == 0)
            {
                logger.LogWarning("Site {SiteId}: directory group {GroupId} has no user members; the site's agents come from the world until it has (check directoryGroupId)", siteId, groupId);
            }

            logger.LogInformation("Roster of site {SiteId} synced from group {GroupId}: {Pages} pages, {Added} added, {Removed} removed", siteId, groupId, pages, added, removed);
            return new RosterSyncResult(siteId, groupId, pages, added, removed, Completed: true);
        }

        logger.LogInformation("Roster sync of site {SiteId} read its {Pages} pages for this run; the next run resumes", siteId, pages);
        return new RosterSyncResult(siteId, groupId, pages, added, removed, Completed: false);
    }

    /// <summary>
    /// A sync the directory's answer cannot carry on: the place is kept (nothing of the answer applied, nobody removed), the
    /// next try waits one sync interval, and the error is logged and returned for the caller to throw.
    /// </summary>
    async Task<InvalidDataException> FailAsync(RosterCheckpoint checkpoint, string message, Exception? inner, CancellationToken cancellationToken)
    {
        TimeSpan wait = options.Value.SyncInterval;
        await store.SaveCheckpointAsync(checkpoint with { NotBefore = time.GetUtcNow() + wait }, cancellationToken);
        logger.LogError(inner, "Roster sync of site {SiteId} failed: {Problem}; nobody was removed from the roster, the next try is in {Wait}", checkpoint.SiteId, message, wait);
        return new InvalidDataException($"{message}; nobody was removed from the roster, the next try is in {wait}", inner);
    }
}
