using Davecast.Publisher;

return await PublisherApp.RunAsync(args);
