using Cordon.Access;
using Cordon.Evidence;

namespace Cordon.Tests.Incidents;

[Trait("Category", "Unit")]
public sealed class StepRetriesTests
{
    static readonly StepRetryPolicy Policy = new() { MaxAttempts = 4, FirstRetry = TimeSpan.FromSeconds(2), BackoffCoefficient = 2, MaxRetryInterval = TimeSpan.FromSeconds(5) };

    static readonly string Throttled = typeof(DirectoryThrottledException).FullName!;

    [Fact]
    public void A_throttled_step_waits_the_directory_Retry_After()
    {
        string message = new DirectoryThrottledException("Graph disable account for jo answered 429", TimeSpan.FromSeconds(7)).Message;

        Assert.Equal(TimeSpan.FromSeconds(7), StepRetries.NextWait(Throttled, message, 1, Policy));
    }

    [Theory]
    [InlineData(0)] // Retry-After: 0
    [InlineData(250)] // a fraction of a second, or an HTTP date just past on a skewed clock (read as 0)
    public void A_throttled_step_waits_at_least_a_second_whatever_Retry_After_says(int retryAfterMs)
    {
        string message = new DirectoryThrottledException("Graph disable account for jo answered 429", TimeSpan.FromMilliseconds(retryAfterMs)).Message;

        Assert.Equal(StepRetries.ShortestThrottleWait, StepRetries.NextWait(Throttled, message, 1, Policy));
        Assert.Equal(TimeSpan.FromSeconds(1), StepRetries.ShortestThrottleWait);
    }

    [Fact]
    public void A_throttled_step_does_not_spend_the_policy_attempts_but_is_bounded()
    {
        string message = new DirectoryThrottledException("throttled", TimeSpan.FromSeconds(1)).Message;

        Assert.Equal(TimeSpan.FromSeconds(1), StepRetries.NextWait(Throttled, message, Policy.MaxAttempts + 5, Policy));
        Assert.Null(StepRetries.NextWait(Throttled, message, StepRetries.MaxThrottledAttempts, Policy));
    }

    [Fact]
    public void A_throttled_step_without_Retry_After_backs_off_exponentially_up_to_a_minute()
    {
        string message = new DirectoryThrottledException("throttled", null).Message;

        Assert.Equal([1, 2, 4, 8, 60], new[] { 1, 2, 3, 4, 20 }.Select(n => StepRetries.NextWait(Throttled, message, n, Policy)!.Value.TotalSeconds));
    }

    [Fact]
    public void A_throttled_mail_send_waits_SendGrids_Retry_After_like_a_throttled_directory_call()
    {
        string mailThrottled = typeof(Cordon.Notification.MailThrottledException).FullName!;
        string message = new Cordon.Notification.MailThrottledException("SendGrid answered 429 TooManyRequests", TimeSpan.FromSeconds(40)).Message;

        Assert.Equal(TimeSpan.FromSeconds(40), StepRetries.NextWait(mailThrottled, message, Policy.MaxAttempts + 5, Policy));
        Assert.Null(StepRetries.NextWait(mailThrottled, message, StepRetries.MaxThrottledAttempts, Policy));
        // A refusal is not a throttle: it follows the policy.
        Assert.Null(StepRetries.NextWait(typeof(Cordon.Notification.MailRefusedException).FullName, "SendGrid refused the mail with 400", Policy.MaxAttempts, Policy));
    }

    [Fact]
    public void Any_other_failure_follows_the_policy_back_off_and_attempts()
    {
        Assert.Equal([2, 4, 5], new[] { 1, 2, 3 }.Select(n => StepRetries.NextWait("System.InvalidOperationException", "boom", n, Policy)!.Value.TotalSeconds));
        Assert.Null(StepRetries.NextWait("System.InvalidOperationException", "boom", 4, Policy));
    }

    [Fact]
    public void A_step_that_finds_intake_containing_looks_again_after_1_2_then_every_4_seconds_and_never_gives_up()
    {
        string underway = typeof(Cordon.Containment.ContainmentUnderwayException).FullName!;

        Assert.Equal([1, 2, 4, 4], new[] { 1, 2, 3, 50 }.Select(n => StepRetries.NextWait(underway, "intake is applying containment 1", n, Policy)!.Value.TotalSeconds));
    }
}
