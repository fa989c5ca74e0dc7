using System.Buffers.Text;
using System.Security.Cryptography;
using Cordon.Local.Connectors;

namespace Cordon.Tests.Approvals;

/// <summary>
/// An approval link names its approver without naming the address: anyone who sees a link (a forwarded mail, a proxy log,
/// a screenshot) must not be able to confirm a guessed address by hashing it. New links carry a keyed hash (derived from
/// the signing key); links mailed before that change carry the unkeyed one and keep working until they expire.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ApproverLinkIdTests
{
    const string Lead = "sam.lead@cordon-customer.example";
    static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    /// <summary>The approver field of the link mailed to <paramref name="approver"/> when links are signed with <paramref name="key"/>.</summary>
    static async Task<(string Token, string Approver)> MailedLinkAsync(string key, string approver)
    {
        string dir = Directory.CreateTempSubdirectory("cordon-link-id-").FullName;
        var outbox = new Outbox(Path.Combine(dir, "outbox"), TimeProvider.System);
        var options = Options.Create(new ApprovalOptions { SigningKey = key });
        var activity = new SendApprovalRequests(outbox, new ApprovalTokens(options, TimeProvider.System),
            new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System), TimeProvider.System, options);
        var summary = new ApprovalSummary("ravi.k@vendor.example", "Ravi K.", "fabrikam-bpo", "Fabrikam", "fab-pune-1", "Pune 1", "critical", 94, ["bribery"], "contained", ["Northwind"], 10);
        await activity.RunAsync(ActivityContexts.For(nameof(SendApprovalRequests)),
            new ApprovalRequest("inc-0123456789ab-1", "confirm-1", Gates.Confirm, "securityLead", [approver], DateTime.UtcNow.AddHours(1), false, summary));

        string link = Assert.Single(Assert.Single(outbox.List(), m => m.Category == "approval-request").Links);
        string token = link[(link.LastIndexOf('/') + 1)..];
        JsonElement payload = JsonDocument.Parse(Base64Url.DecodeFromChars(token.AsSpan(0, token.IndexOf('.', StringComparison.Ordinal)))).RootElement;
        return (token, payload.GetProperty("A").GetString()!);
    }

    /// <summary>What someone holding a link and a guess could compute without any key.</summary>
    static IEnumerable<string> UnkeyedHashesOf(string guess) =>
        new[] { guess, guess.ToUpperInvariant(), SubjectIdentity.Canonical(guess), "cordon-approver:" + SubjectIdentity.Canonical(guess) }
            .SelectMany(s => new[] { SHA256.HashData(Encoding.UTF8.GetBytes(s)), SHA512.HashData(Encoding.UTF8.GetBytes(s)) })
            .SelectMany(h => new[] { Convert.ToHexStringLower(h), Convert.ToBase64String(h), Base64Url.EncodeToString(h) })
            .Append(ApproverIdentity.Hash(guess));

    [Fact]
    public async Task A_new_link_does_not_carry_an_unkeyed_hash_of_the_approvers_address()
    {
        var (token, approver) = await MailedLinkAsync(KeyA, Lead);

        Assert.NotEqual(ApproverIdentity.Hash(Lead), approver);
        foreach (string hash in UnkeyedHashesOf(Lead))
        {
            // Neither the whole hash nor the part a link could carry (a prefix of 12 or more characters) is in the link.
            Assert.DoesNotContain(hash[..12], approver, StringComparison.OrdinalIgnoreCase);
            Assert.False(hash.StartsWith(approver, StringComparison.OrdinalIgnoreCase), $"the link's approver {approver} is a prefix of an unkeyed hash");
        }

        string payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(0, token.IndexOf('.', StringComparison.Ordinal))));
        Assert.DoesNotContain(ApproverIdentity.Hash(Lead), payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whether_a_link_names_a_guessed_address_depends_on_the_signing_key()
    {
        // The same approver under two keys: the link's approver differs, so no key-free computation from the address
        // reproduces it, and a guesser cannot confirm the address.
        var (_, underA) = await MailedLinkAsync(KeyA, Lead);
        var (_, underB) = await MailedLinkAsync(KeyB, Lead);
        var (_, againA) = await MailedLinkAsync(KeyA, Lead);

        Assert.NotEqual(underA, underB);
        Assert.Equal(underA, againA); // stable per key: the server matches it against the gate's approvers
    }
}
