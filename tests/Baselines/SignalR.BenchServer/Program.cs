using Baselines.Common;
using SignalR.BenchServer;

// The SignalR side of the comparison, the same shape as the PushEx one: a hub whose clients join any group, and
// POST /api/push {"channel": "g" | ["g", …], "data": <any JSON>, "event": "e"} sending "msg"(data, event) to the groups.
// Run: dotnet SignalR.BenchServer.dll --urls http://127.0.0.1:PORT (hub at /hub; clients may skip negotiation).
var builder = WebApplication.CreateBuilder(args);
BenchHost.Configure(builder);
builder.Services.AddSignalR();
builder.Services.AddSingleton<ConnectionCounter>();

var app = builder.Build();
var counter = app.Services.GetRequiredService<ConnectionCounter>();
BenchHost.MapEndpoints(app, () => counter.Count);
app.MapHub<BenchHub>("/hub");
app.MapPost("/api/push", PushEndpoint.HandleAsync);
app.Run();
