using Baselines.Common;
using PushEx.BenchServer;
using PushEx.Topics;

// The PushEx side of the comparison: every connect accepted, any topic joined, POST /api/push open to all.
// Run: dotnet PushEx.BenchServer.dll --urls http://127.0.0.1:PORT [--Redis HOST:PORT] (Redis: one node of a cluster).
var builder = WebApplication.CreateBuilder(args);
BenchHost.Configure(builder);
builder.WebHost.UsePushExTransport();
var pushEx = builder.Services.AddPushEx()
    .AddSocketHandler<AcceptAllSocketHandler>()
    .AllowApiWithEndpointAuthorizationOnly();
if (builder.Configuration["Redis"] is { Length: > 0 } redis)
{
    pushEx.AddRedis(redis);
}

var app = builder.Build();
var statistics = app.Services.GetRequiredService<ConnectionStatistics>();
BenchHost.MapEndpoints(app, () => statistics.SocketCount);
app.MapPushEx();
app.Run();
