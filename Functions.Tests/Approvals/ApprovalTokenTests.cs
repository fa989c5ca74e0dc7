using System.Buffers.Text;
using System.Security.Cryptography;

namespace Cordon.Tests.Approvals;

[Trait("Category", "Unit")]
public sealed class ApprovalTokenTests
{
    static readonly DateTimeOffset Now = new(2026, 11, 25, 3, 0, 0, TimeSpan.Zero);
    static readonly string KeyA = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    static readonly string KeyB = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
    const string Lead = "lead@client.example";
    static readonly ApprovalClaims Claims = new("inc-0123456789ab-1", "confirm", Tokens(KeyA).ApproverId(Lead), Now.AddHours(4));

    sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    static ApprovalTokens Tokens(string key, Clock? clock = null, string? previous = null, DateTimeOffset? previousUntil = null) =>
        new(Options.Create(new ApprovalOptions { SigningKey = key, PreviousSigningKey = previous, PreviousKeyValidUntil = previousUntil }), clock ?? new Clock(Now));

    [Fact]
    public void Token_round_trips_its_claims_and_is_url_safe()
    {
        ApprovalTokens tokens = Tokens(KeyA);
        string token = tokens.Create(Claims);

        TokenCheck check = tokens.Read(token);

        Assert.True(check.IsValid);
        Assert.Equal(Claims, check.Claims);
        Assert.Matches("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$", token);
        Assert.Equal(token, Uri.EscapeDataString(token));
    }

    [Fact]
    public void Token_carries_no_readable_personal_data()
    {
        string token = Tokens(KeyA).Create(Claims);
        string payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(0, token.IndexOf('.', StringComparison.Ordinal))));

        Assert.DoesNotContain("lead", payload, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("client.example", payload, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@", payload, StringComparison.Ordinal);
    }

    [Fact]
    public void Changing_the_payload_breaks_the_signature()
    {
        ApprovalTokens tokens = Tokens(KeyA);
        string token = tokens.Create(Claims);
        string signature = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];

        // Same signature, a payload naming another gate and a later expiry.
        string forgedPayload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $$"""{"V":2,"I":"{{Claims.IncidentId}}","G":"vendorOffboarding","A":"{{Claims.ApproverId}}","E":{{Now.AddDays(30).ToUnixTimeSeconds()}}}"""));

        Assert.Equal(TokenProblem.BadSignature, tokens.Read(forgedPayload + "." + signature).Problem);
        Assert.Null(tokens.Read(forgedPayload + "." + signature).Claims);
    }

    [Fact]
    public void Flipping_one_signature_character_is_refused()
    {
        ApprovalTokens tokens = Tokens(KeyA);
        string token = tokens.Create(Claims);
        char last = token[^2];
        string tampered = token[..^2] + (last == 'A' ? 'B' : 'A') + token[^1];

        Assert.Equal(TokenProblem.BadSignature, tokens.Read(tampered).Problem);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-dot-at-all")]
    [InlineData(".signature-only")]
    [InlineData("payload-only.")]
    [InlineData("a.b.c")]
    [InlineData("!!!.???")]
    public void Malformed_tokens_are_refused_as_malformed(string token) =>
        Assert.Equal(TokenProblem.Malformed, Tokens(KeyA).Read(token).Problem);

    [Fact]
    public void Oversized_token_is_refused_without_checking_the_signature() =>
        Assert.Equal(TokenProblem.Malformed, Tokens(KeyA).Read(new string('a', 5000) + ".b").Problem);

    [Fact]
    public void Signed_payload_that_is_not_a_token_is_malformed()
    {
        byte[] payload = Encoding.UTF8.GetBytes("""{"V":2,"I":"x"}""");
        string token = Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Convert.FromBase64String(KeyA), payload));

        Assert.Equal(TokenProblem.Malformed, Tokens(KeyA).Read(token).Problem);
    }

    [Fact]
    public void Token_expires_after_its_expiry_but_still_names_its_incident()
    {
        var clock = new Clock(Now);
        ApprovalTokens tokens = Tokens(KeyA, clock);
        string token = tokens.Create(Claims);

        clock.Now = Claims.ExpiresAt;
        Assert.True(tokens.Read(token).IsValid);

        clock.Now = Claims.ExpiresAt.AddSeconds(1);
        TokenCheck check = tokens.Read(token);
        Assert.Equal(TokenProblem.Expired, check.Problem);
        Assert.False(check.IsValid);
        Assert.Equal(Claims.IncidentId, check.Claims?.IncidentId); // the page can say which incident's link expired
    }

    [Fact]
    public void Token_signed_with_another_key_is_refused() =>
        Assert.Equal(TokenProblem.BadSignature, Tokens(KeyB).Read(Tokens(KeyA).Create(Claims)).Problem);

    [Fact]
    public void After_rotation_links_signed_with_the_previous_key_work_until_the_grace_period_ends()
    {
        string oldLink = Tokens(KeyA).Create(Claims);
        var clock = new Clock(Now);
        ApprovalTokens rotated = Tokens(KeyB, clock, previous: KeyA, previousUntil: Now.AddHours(1));

        Assert.True(rotated.Read(oldLink).IsValid);
        Assert.True(rotated.Read(rotated.Create(Claims)).IsValid);

        clock.Now = Now.AddHours(1).AddSeconds(1);
        Assert.Equal(TokenProblem.BadSignature, rotated.Read(oldLink).Problem);
        Assert.True(rotated.Read(rotated.Create(Claims)).IsValid);
    }

    [Fact]
    public void New_links_are_signed_with_the_current_key_not_the_previous_one()
    {
        string link = Tokens(KeyB, previous: KeyA, previousUntil: Now.AddHours(1)).Create(Claims);

        Assert.True(Tokens(KeyB).Read(link).IsValid);
        Assert.Equal(TokenProblem.BadSignature, Tokens(KeyA).Read(link).Problem);
    }

    /// <summary>A token signed with <paramref name="key"/> over <paramref name="json"/>, as only the key holder can make one.</summary>
    static string Signed(string key, string json)
    {
        byte[] payload = Encoding.UTF8.GetBytes(json);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Convert.FromBase64String(key), payload));
    }

    [Fact]
    public void A_link_names_its_approver_in_any_spelling_and_nobody_else()
    {
        TokenCheck check = Tokens(KeyA).Read(Tokens(KeyA).Create(Claims));

        Assert.True(check.Names(Lead));
        Assert.True(check.Names(" LEAD@Client.Example "));
        Assert.False(check.Names("other@client.example"));
        Assert.NotEqual(ApproverIdentity.Hash(Lead), check.Claims!.ApproverId); // not the unkeyed hash a guess reproduces
        Assert.NotEqual(Tokens(KeyB).ApproverId(Lead), Tokens(KeyA).ApproverId(Lead)); // keyed: another key, another id
    }

    [Fact]
    public void A_link_made_in_the_old_format_is_still_read_and_names_its_approver_until_it_expires()
    {
        // Version 1, as links were made before: the unkeyed approver hash, signed with the same key.
        var clock = new Clock(Now);
        string old = Signed(KeyA, $$"""{"V":1,"I":"inc-0123456789ab-1","G":"confirm","A":"{{ApproverIdentity.Hash(Lead)}}","E":{{Claims.ExpiresAt.ToUnixTimeSeconds()}}}""");

        TokenCheck check = Tokens(KeyA, clock).Read(old);
        Assert.True(check.IsValid);
        Assert.True(check.Names(Lead));
        Assert.False(check.Names("other@client.example"));
        Assert.Equal(TokenProblem.BadSignature, Tokens(KeyB).Read(old).Problem);

        clock.Now = Claims.ExpiresAt.AddSeconds(1);
        Assert.Equal(TokenProblem.Expired, Tokens(KeyA, clock).Read(old).Problem);
    }

    [Fact]
    public void After_rotation_a_link_made_with_the_previous_key_still_names_its_approver()
    {
        string oldLink = Tokens(KeyA).Create(Claims);
        ApprovalTokens rotated = Tokens(KeyB, previous: KeyA, previousUntil: Now.AddHours(1));

        Assert.True(rotated.Read(oldLink).Names(Lead));
        TokenCheck fresh = rotated.Read(rotated.Create(Claims with { ApproverId = rotated.ApproverId(Lead) }));
        Assert.True(fresh.Names(Lead));
        Assert.False(rotated.Read(rotated.Create(Claims)).Names(Lead)); // an id keyed with the previous key, signed with the new one
    }

    [Fact]
    public void A_new_format_token_carrying_an_unkeyed_approver_hash_is_malformed_and_none_is_made()
    {
        string unkeyed = Signed(KeyA, $$"""{"V":2,"I":"inc-0123456789ab-1","G":"confirm","A":"{{ApproverIdentity.Hash(Lead)}}","E":{{Claims.ExpiresAt.ToUnixTimeSeconds()}}}""");

        Assert.Equal(TokenProblem.Malformed, Tokens(KeyA).Read(unkeyed).Problem);
        Assert.Throws<ArgumentException>(() => Tokens(KeyA).Create(Claims with { ApproverId = ApproverIdentity.Hash(Lead) }));
    }

    [Theory]
    [InlineData("", "is not set")]
    [InlineData("not base64 !!", "must be base64")]
    [InlineData("c2hvcnQ=", "at least 32 bytes")]
    public void Unusable_signing_key_fails_at_start_naming_the_setting(string key, string reason)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tokens(key));
        Assert.Contains("Cordon:Approvals:SigningKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }
}
