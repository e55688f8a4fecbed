import type en from './en';

const ru: typeof en = {
  app: {
    title: 'Трекер кошельков',
    version: 'Версия {version}',
  },
};

export default ru;
