export default {
  app: {
    title: 'Wallet Tracker',
    version: 'Version {version}',
  },
};
