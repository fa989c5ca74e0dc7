using Cordon.Intake;

namespace Cordon.Tests.Alerts;

[Trait("Category", "Unit")]
public sealed class IntakeInFlightTests
{
    [Fact]
    public void Each_alert_counts_once_however_often_its_scope_is_disposed()
    {
        var inFlight = new IntakeInFlight();
        IntakeInFlight.Scope first = inFlight.Enter();
        using (inFlight.Enter())
        {
            Assert.Equal(2, inFlight.Count);
            first.Dispose();
            first.Dispose(); // intake stops counting before a merge wait and again when it returns
            Assert.Equal(1, inFlight.Count);
        }

        Assert.Equal(0, inFlight.Count);
    }

    [Fact]
    public async Task Follow_up_work_waits_while_intake_is_busy_and_goes_on_when_it_is_idle()
    {
        var inFlight = new IntakeInFlight();
        Assert.True(inFlight.YieldAsync(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None).IsCompleted);

        IntakeInFlight.Scope busy = inFlight.Enter();
        Task waiting = inFlight.YieldAsync(TimeSpan.FromMinutes(1), TimeProvider.System, CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        Assert.False(waiting.IsCompleted);

        busy.Dispose();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Follow_up_work_is_delayed_never_starved()
    {
        var inFlight = new IntakeInFlight();
        using IntakeInFlight.Scope busy = inFlight.Enter(); // a steady stream of alerts: intake never idle
        await inFlight.YieldAsync(TimeSpan.FromMilliseconds(50), TimeProvider.System, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, inFlight.Count);
    }
}
