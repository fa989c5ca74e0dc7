using Cordon.Adapters.Tables;

namespace Cordon.Tests.Connectors;

/// <summary>The one key rule the Table adapters (site register, roster) check before they send a request.</summary>
[Trait("Category", "Unit")]
public sealed class TableKeysTests
{
    [Theory]
    [InlineData("fab-pune-1")]
    [InlineData("ravi.k@vendor.example")]
    [InlineData("Ünïcode site 7")]
    public void A_value_Table_Storage_accepts_is_the_key_unchanged(string value) => Assert.Equal(value, TableKeys.Checked(value));

    [Theory]
    [InlineData("")]
    [InlineData("fab/pune")]
    [InlineData("fab\\pune")]
    [InlineData("fab#1")]
    [InlineData("fab?1")]
    [InlineData("fab\n1")]
    public void A_value_Table_Storage_refuses_is_refused_naming_it_and_the_rule(string value)
    {
        ArgumentException refused = Assert.Throws<ArgumentException>(() => TableKeys.Checked(value, "site id "));

        Assert.StartsWith($"site id '{value}' cannot be a Table Storage key", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_longer_than_512_characters_is_refused() =>
        Assert.Throws<ArgumentException>(() => TableKeys.Checked(new string('a', 513)));
}
