using System.Security.Cryptography;
using System.Text;
using Cordon.Alerts;
using Cordon.Configuration;
using Cordon.World;
using Cordon.Access;
using Cordon.Evidence;
using Cordon.Roster;

namespace Cordon.Local.Connectors;

/// <summary>
/// The simulated directory's groups, read the way Graph serves a group delta: a site's group holds the site's
/// agents (as the live world lists them) whose accounts exist in the <see cref="SimulatedDirectory"/>; member ids
/// are stable GUIDs derived from the user principal name. The first read pages through every member; its delta
/// link then answers only the members added and removed since. Delta state lives in memory: after a restart the
/// old links are unknown, as an expired Graph link is, and the sync reads the group in full again.
/// </summary>
public sealed class SimulatedDirectoryGroups(SimulatedDirectory directory, LiveConfiguration configuration) : IGroupMembersDelta
{
    const string Scheme = "sim-directory:";
    readonly Lock gate = new();
    readonly Dictionary<string, HashSet<string>> states = new(StringComparer.Ordinal);
    readonly Dictionary<string, (string Group, List<RosterMember> Added, List<string> Removed, HashSet<string> Target)> reads = new(StringComparer.Ordinal);

    /// <summary>Members per page (Graph's own pages vary; small pages make local syncs page too).</summary>
    public int PageSize { get; init; } = 20;

    /// <summary>Requests answered, for tests.</summary>
    public int Requests { get; private set; }

    public Task<GroupMembersPage> ReadAsync(string groupId, string? link, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            Requests++;
            string readId;
            int offset = 0;
            if (link is null || link.StartsWith(Scheme + "delta/", StringComparison.Ordinal))
            {
                HashSet<string> before = link is null ? [] : states.GetValueOrDefault(link[(Scheme.Length + 6)..])
                    ?? throw new DeltaLinkExpiredException($"simulated directory: delta link {link} is unknown (the host restarted?)");
                Dictionary<string, RosterMember> now = Members(groupId);
                readId = Guid.NewGuid().ToString("n");
                reads[readId] = (groupId, now.Values.Where(m => !before.Contains(m.Id)).OrderBy(m => m.Id, StringComparer.Ordinal).ToList(),
                    before.Where(id => !now.ContainsKey(id)).Order(StringComparer.Ordinal).ToList(), [.. now.Keys]);
            }
            else
            {
                string[] parts = link[Scheme.Length..].Split('/');
                if (parts is not ["page", var id, var at] || !reads.ContainsKey(id) || !int.TryParse(at, out offset))
                {
                    throw new DeltaLinkExpiredException($"simulated directory: page link {link} is unknown (the host restarted?)");
                }

                readId = id;
            }

            var read = reads[readId];
            var added = read.Added.Skip(offset).Take(PageSize).ToList();
            int removedFrom = Math.Max(0, offset - read.Added.Count);
            var removed = offset + PageSize > read.Added.Count
                ? read.Removed.Skip(removedFrom).Take(PageSize - added.Count).ToList()
                : [];
            int next = offset + added.Count + removed.Count;
            if (next < read.Added.Count + read.Removed.Count)
            {
                return Task.FromResult(new GroupMembersPage(added, removed, $"{Scheme}page/{readId}/{next}", null));
            }

            reads.Remove(readId);
            string state = Guid.NewGuid().ToString("n");
            states[state] = read.Target;
            return Task.FromResult(new GroupMembersPage(added, removed, null, $"{Scheme}delta/{state}"));
        }
    }

    Dictionary<string, RosterMember> Members(string groupId)
    {
        var members = new Dictionary<string, RosterMember>(StringComparer.Ordinal);
        foreach (Site site in configuration.Current.World.Vendors.SelectMany(v => v.Sites).Where(s => s.DirectoryGroupId == groupId))
        {
            foreach (Agent agent in site.AllAgents().Where(a => directory.Find(a.UserPrincipalName) is not null))
            {
                string id = MemberId(agent.UserPrincipalName);
                members[id] = new RosterMember(id, agent.UserPrincipalName, agent.DisplayName);
            }
        }

        return members;
    }

    /// <summary>A stable object id for an account (a GUID from its canonical name).</summary>
    public static string MemberId(string userPrincipalName) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(SubjectIdentity.Canonical(userPrincipalName)))[..16]).ToString("D");
}
