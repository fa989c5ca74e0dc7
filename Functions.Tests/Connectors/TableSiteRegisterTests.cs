using Azure.Data.Tables;
using Cordon.Adapters.Tables;
using Cordon.Offboarding;

namespace Cordon.Tests.Connectors;

/// <summary>The Table Storage site register against Azurite.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class TableSiteRegisterTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    static readonly DateTime At = new(2026, 11, 2, 9, 0, 0, DateTimeKind.Utc);

    TableSiteRegister NewRegister() => new(new TableClient(azurite.ConnectionString, "reg" + Guid.NewGuid().ToString("n")[..16]));

    static ConfirmedInsider Insider(string incident, string site = "fab-pune-1", double daysAfter = 0) =>
        new(incident, site, $"{incident}@vendor.example", At.AddDays(daysAfter), TimeSpan.FromDays(90));

    [Fact]
    public async Task Two_insiders_confirmed_at_once_at_one_site_are_both_counted()
    {
        TableSiteRegister register = NewRegister();

        int[] counts = await Task.WhenAll(register.RecordAsync(Insider("inc-a"), default), register.RecordAsync(Insider("inc-b"), default));

        Assert.Equal([1, 2], counts.Order());
        Assert.Equal(3, await register.RecordAsync(Insider("inc-c", daysAfter: 1), default));
    }

    [Fact]
    public async Task Recording_an_incident_again_counts_it_once_and_other_sites_and_old_insiders_do_not_count()
    {
        TableSiteRegister register = NewRegister();
        await register.RecordAsync(Insider("inc-old", daysAfter: -120), default);
        await register.RecordAsync(Insider("inc-elsewhere", site: "fab-manila-2"), default);

        Assert.Equal(1, await register.RecordAsync(Insider("inc-a"), default));
        Assert.Equal(1, await register.RecordAsync(Insider("inc-a"), default));
        Assert.Equal(2, await register.RecordAsync(Insider("inc-b", daysAfter: 2), default));
    }

    [Fact]
    public async Task A_site_id_that_cannot_be_a_table_key_is_refused_with_its_reason()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => NewRegister().RecordAsync(Insider("inc-a", site: "fab/pune"), default));

        Assert.Contains("fab/pune", error.Message, StringComparison.Ordinal);
    }
}
